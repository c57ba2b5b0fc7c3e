"""Every model of the application, imported in one place for Alembic and the app factory."""

from app.assessment.models import (  # noqa: F401
    CompetencyComment,
    EvaluationSession,
    EvidenceFile,
    Result,
    ResultHead,
)
from app.badges.models import BadgeKey, IssuedBadge  # noqa: F401
from app.cohorts.models import Cohort, Enrolment, LearnerIdentity  # noqa: F401
from app.dossier.models import DossierJuryText, DossierText  # noqa: F401
from app.exports_history.models import ExportRecord  # noqa: F401
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
from app.insertion.models import SurveyAnswer  # noqa: F401
from app.jobs.models import Job  # noqa: F401
from app.jury.models import BlocDecision, JuryPresentation, JurySession  # noqa: F401
from app.people.models import (  # noqa: F401
    AuditEvent,
    OneTimeToken,
    Organisation,
    RateCounter,
    RecoveryCode,
    User,
    UserRole,
)
from app.progress.models import Attestation  # noqa: F401
from app.registry.models import (  # noqa: F401
    BlocCorrespondence,
    RegistryBloc,
    RegistryCode,
    RegistryFiche,
    RegistryStatement,
    RegistryTerm,
)
from app.settings.models import CertifierSettings  # noqa: F401
