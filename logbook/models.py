"""Imports every domain's models so that the metadata (and Alembic) sees all tables."""

from logbook.accounts.links import SupervisionLink  # noqa: F401
from logbook.accounts.models import (  # noqa: F401
    AuthSession,
    JobRole,
    LoginThrottle,
    Organisation,
    PasswordReset,
    Registration,
    Team,
    User,
)
from logbook.audit.models import AuditEvent  # noqa: F401
from logbook.changefeed import Change  # noqa: F401
from logbook.credentials.models import IssuedCredential  # noqa: F401
from logbook.entries.models import (  # noqa: F401
    Entry,
    EntryEvidence,
    EntryOrigin,
    EntryRevision,
    EntryStandard,
    Evidence,
    EvidenceUpload,
    GapExplanation,
)
from logbook.events.models import (  # noqa: F401
    EventAttendance,
    EventFacilitator,
    EventFeedback,
    LearningEvent,
    LearningSet,
)
from logbook.exports.models import RecordImport  # noqa: F401
from logbook.frameworks.models import FrameworkVersion  # noqa: F401
from logbook.insights.models import InsightCompliance, InsightRefresh  # noqa: F401
from logbook.jobs.models import Job  # noqa: F401
from logbook.notifications.models import Notification, NotificationPreference  # noqa: F401
from logbook.portfolio.models import VerificationCode  # noqa: F401
from logbook.ratelimit import RateLimitCounter  # noqa: F401
from logbook.sso.models import OidcLoginState, SsoProvider  # noqa: F401
from logbook.supervision.models import ExternalSignOffLink, SignOff, SignOffRequest  # noqa: F401
from logbook.sync.models import SyncClient, SyncMutation  # noqa: F401
