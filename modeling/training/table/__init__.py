"""The table family: business tables through trees, a linear model, a network or a blend of them.

``family`` (the steps inside the experiment skeleton), ``target`` (what differs between predicting classes and a
number, chosen once), ``fit`` (one template's training), ``automatic`` (the blend), ``evaluate`` (the reports
against the baselines), ``search`` (*Find the best model* for tables).
"""
