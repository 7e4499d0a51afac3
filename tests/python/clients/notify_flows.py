"""A launch plan that tells of its failures (the notifications test)."""
from flytekit import Email, LaunchPlan, Slack, task, workflow
from flytekit.models.core.execution import WorkflowExecutionPhase


@task
def check(x: int) -> int:
    if x > 1:
        raise ValueError(f"x is too big: {x}")
    return x


@workflow
def guarded(x: int = 1) -> int:
    return check(x=x)


alerting = LaunchPlan.get_or_create(
    name="alerting",
    workflow=guarded,
    notifications=[
        Email(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["ops@example.com"]),
        Slack(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["alerts@example.slack.com"]),
    ],
)
