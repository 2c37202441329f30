"""A stand-in for Ray's JobSubmissionClient, shared by the remote training and remote search tests."""

from __future__ import annotations

import json
from pathlib import Path

from modeling.training import job_protocol as jp


class FakeJobs:
    """Answers like ray.job_submission.JobSubmissionClient, from a script of (status, log lines) steps.

    A step may be an exception (the cluster does not answer); the last step repeats.
    """

    def __init__(self, steps: list, message: str = "") -> None:
        self.steps = steps
        self.message = message
        self.logs = ""
        self.calls = 0
        self.stopped = False
        self.submitted: dict = {}
        self.files: list[str] = []

    def submit_job(self, **kwargs):
        self.submitted = kwargs
        # The job's private folder must hold the data and settings when Ray uploads it.
        self.files = sorted(p.name for p in Path(kwargs["runtime_env"]["working_dir"]).iterdir())
        return kwargs["submission_id"]

    def get_job_status(self, job_id):
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        status, lines = step
        self.logs += "".join(line + "\n" for line in lines)
        return status

    def get_job_logs(self, job_id):
        return self.logs

    def stop_job(self, job_id):
        self.stopped = True
        return True

    def get_job_info(self, job_id):
        return type("Info", (), {"message": self.message})()


def event(**fields) -> str:
    return jp.EVENT + json.dumps(fields)
