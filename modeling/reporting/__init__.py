"""Numbers -> words, figures and documents: summary, limitations, comparison, charts, HTML and PDF reports."""
