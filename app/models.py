"""Every model of the application, imported in one place for Alembic and the app factory."""

from app.frameworks.models import (  # noqa: F401
    Activity,
    ActivityDomain,
    Bloc,
    Certification,
    Competency,
    Criterion,
    EvaluationModality,
    FrameworkVersion,
    ScaleLevel,
)
