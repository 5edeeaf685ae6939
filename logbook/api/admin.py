"""Org admin API: teams, job roles (with CSV import), users (filtered, invited by email, deactivated)
and their registrations, registrations proposed by imported records, external signers awaiting
approval, which frameworks apply to whom, and the organisation's audit trail (read-only)."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from logbook.accounts import invitations, service
from logbook.accounts.auth import current_user, roles_required
from logbook.accounts.models import User
from logbook.accounts.schemas import (
    CsvImportSchema,
    ImportResultSchema,
    InvitationSentSchema,
    JobRoleSchema,
    OrgRegistrationSchema,
    RegistrationQuerySchema,
    RegistrationSchema,
    TeamSchema,
    UserCreateSchema,
    UserInviteSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from logbook.exports import registration_proposals
from logbook.exports.schemas import (
    ProposalQuerySchema,
    RegistrationProposalListSchema,
    RegistrationProposalSchema,
)
from logbook.extensions import db
from logbook.frameworks.schemas import FrameworkCoverageSchema
from logbook.frameworks.service import framework_coverage
from logbook.mail import mailer
from logbook.sso import service as sso_service
from logbook.supervision import audit_trail, external_signers
from logbook.supervision.schemas import (
    AuditPageSchema,
    AuditQuerySchema,
    ExternalSignerItemSchema,
    ExternalSignerListSchema,
    ExternalSignerQuerySchema,
    ExternalSignerSettingsSchema,
)
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Organisation administration")

admin_only = roles_required("org_admin")


def _org():
    return current_user().organisation_id


@blp.route("/teams")
class Teams(MethodView):
    decorators = [admin_only]

    @blp.response(200, TeamSchema(many=True))
    def get(self):
        """List the organisation's teams."""
        return service.list_teams(organisation_id=_org())

    @blp.arguments(TeamSchema)
    @blp.response(201, TeamSchema)
    def post(self, data):
        """Add a team."""
        return service.create_team(organisation_id=_org(), **data)


@blp.route("/teams/<uuid:team_id>")
class TeamItem(MethodView):
    decorators = [admin_only]

    @blp.response(200, TeamSchema)
    def get(self, team_id):
        """One team."""
        return service.get_team(organisation_id=_org(), team_id=team_id)

    @blp.arguments(TeamSchema(partial=True))
    @blp.response(200, TeamSchema)
    def patch(self, data, team_id):
        """Rename a team or change its service area."""
        return service.update_team(organisation_id=_org(), team_id=team_id, changes=data)

    @blp.response(204)
    def delete(self, team_id):
        """Delete an empty team."""
        service.delete_team(organisation_id=_org(), team_id=team_id)


@blp.route("/job-roles")
class JobRoles(MethodView):
    decorators = [admin_only]

    @blp.response(200, JobRoleSchema(many=True))
    def get(self):
        """List the organisation's job roles."""
        return service.list_job_roles(organisation_id=_org())

    @blp.arguments(JobRoleSchema)
    @blp.response(201, JobRoleSchema)
    def post(self, data):
        """Add a job role."""
        return service.create_job_role(organisation_id=_org(), **data)


@blp.route("/job-roles/import", methods=["POST"])
@admin_only
@blp.arguments(CsvImportSchema)
@blp.response(200, ImportResultSchema)
def import_job_roles(data):
    """Create or update job roles from CSV text (columns: job_role, service_area, profession,
    registration_framework). All rows or none; errors are keyed by line number."""
    return service.import_job_roles_csv(organisation_id=_org(), text=data["csv"])


@blp.route("/job-roles/<uuid:job_role_id>")
class JobRoleItem(MethodView):
    decorators = [admin_only]

    @blp.response(200, JobRoleSchema)
    def get(self, job_role_id):
        """One job role."""
        return service.get_job_role(organisation_id=_org(), job_role_id=job_role_id)

    @blp.arguments(JobRoleSchema(partial=True))
    @blp.response(200, JobRoleSchema)
    def patch(self, data, job_role_id):
        """Change a job role."""
        return service.update_job_role(organisation_id=_org(), job_role_id=job_role_id, changes=data)

    @blp.response(204)
    def delete(self, job_role_id):
        """Delete a job role nobody holds."""
        service.delete_job_role(organisation_id=_org(), job_role_id=job_role_id)


@blp.route("/users")
class Users(MethodView):
    decorators = [admin_only]

    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, args):
        """List the organisation's users, optionally filtered (name or email, team, job role, app role,
        regulator, active)."""
        return service.list_users(organisation_id=_org(), **args)

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user."""
        return service.create_user(organisation_id=_org(), data=data)


def _invitation_days() -> dt.timedelta:
    return dt.timedelta(days=int(current_app.config["INVITATION_DAYS"]))


@blp.route("/users/invite", methods=["POST"])
@admin_only
@blp.arguments(UserInviteSchema)
@blp.response(201, UserSchema)
def invite_user(data):
    """Add a member of staff and email them a single-use, expiring link to choose their password
    (nobody, the admin included, ever knows it)."""
    admin = current_user()
    return invitations.invite_user(
        organisation_id=admin.organisation_id,
        organisation_name=admin.organisation.name,
        data=data,
        now=utcnow(),
        lifetime=_invitation_days(),
        base_url=public_url(),
        mailer=mailer(),
        sso_login_url=sso_service.invitation_login_url(admin.organisation, base_url=public_url()),
    )


@blp.route("/users/<uuid:user_id>/invitation", methods=["POST"])
@admin_only
@blp.response(202, InvitationSentSchema)
def resend_invitation(user_id):
    """Email an active person a fresh link to choose their password (a lost or expired invitation)."""
    admin = current_user()
    user = service.get_user(organisation_id=admin.organisation_id, user_id=user_id)
    invitations.invite(
        user=user,
        organisation_name=admin.organisation.name,
        now=utcnow(),
        lifetime=_invitation_days(),
        base_url=public_url(),
        mailer=mailer(),
        sso_login_url=sso_service.invitation_login_url(admin.organisation, base_url=public_url()),
    )
    return {"user_id": user.id, "email": user.email, "expires_in_days": _invitation_days().days}


@blp.route("/users/<uuid:user_id>")
class UserItem(MethodView):
    decorators = [admin_only]

    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return service.get_user(organisation_id=_org(), user_id=user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a user's details, roles, team, job role, password or active flag."""
        return service.update_user(organisation_id=_org(), user_id=user_id, data=data, actor=current_user())


@blp.route("/users/<uuid:user_id>/registrations")
class UserRegistrations(MethodView):
    decorators = [admin_only]

    @blp.response(200, RegistrationSchema(many=True))
    def get(self, user_id):
        """A user's registrations."""
        return service.get_user(organisation_id=_org(), user_id=user_id).registrations

    @blp.arguments(RegistrationSchema)
    @blp.response(201, RegistrationSchema)
    def post(self, data, user_id):
        """Add a registration to a user."""
        return service.add_registration(organisation_id=_org(), user_id=user_id, data=data)


@blp.route("/registrations")
@admin_only
@blp.arguments(RegistrationQuerySchema, location="query")
@blp.response(200, OrgRegistrationSchema(many=True))
def list_registrations(args):
    """Every registration of the organisation's people, with the person (optionally one regulator's)."""
    return service.list_registrations(organisation_id=_org(), **args)


@blp.route("/registrations/<uuid:registration_id>")
class RegistrationItem(MethodView):
    decorators = [admin_only]

    @blp.arguments(RegistrationSchema(partial=True))
    @blp.response(200, RegistrationSchema)
    def patch(self, data, registration_id):
        """Change a registration."""
        return service.update_registration(
            organisation_id=_org(), registration_id=registration_id, changes=data
        )

    @blp.response(204)
    def delete(self, registration_id):
        """Delete a registration."""
        service.delete_registration(organisation_id=_org(), registration_id=registration_id)


# --- registrations proposed by imported records (docs/record-format.md) ----------------------


def _proposal(row) -> dict:
    user = db.session.get(User, row.user_id)
    return {c.name: getattr(row, c.name) for c in row.__table__.columns} | {
        "user_name": user.name if user else ""
    }


@blp.route("/registration-proposals")
@admin_only
@blp.arguments(ProposalQuerySchema, location="query")
@blp.response(200, RegistrationProposalListSchema)
def list_registration_proposals(args):
    """Registrations that imported records claim for people of this organisation (pending by default)."""
    state = None if args["state"] == "all" else args["state"]
    return {
        "items": [
            _proposal(p) for p in registration_proposals.list_proposals(organisation_id=_org(), state=state)
        ]
    }


@blp.route("/registration-proposals/<uuid:proposal_id>/confirm", methods=["POST"])
@admin_only
@blp.arguments(RegistrationSchema(partial=True))
@blp.response(200, RegistrationProposalSchema)
@blp.alt_response(422, description="The proposed values are not a valid registration")
def confirm_registration_proposal(data, proposal_id):
    """Confirm a proposed registration, optionally correcting it: validated like any registration,
    which it becomes. Not for a proposal about yourself."""
    return _proposal(
        registration_proposals.confirm(
            actor=current_user(), proposal_id=proposal_id, changes=data, now=utcnow()
        )
    )


@blp.route("/registration-proposals/<uuid:proposal_id>/reject", methods=["POST"])
@admin_only
@blp.response(200, RegistrationProposalSchema)
def reject_registration_proposal(proposal_id):
    """Reject a proposed registration: nothing is added."""
    return _proposal(
        registration_proposals.reject(actor=current_user(), proposal_id=proposal_id, now=utcnow())
    )


# --- external signers (docs/supervision.md) ---------------------------------------------------


def _signer(row, links_sent: int | None = None) -> dict:
    out = {c.name: getattr(row, c.name) for c in row.__table__.columns}
    return out | ({"links_sent": links_sent} if links_sent is not None else {})


@blp.route("/external-signer-settings")
class ExternalSignerSettings(MethodView):
    decorators = [admin_only]

    @blp.response(200, ExternalSignerSettingsSchema)
    def get(self):
        """The organisation's external signer rules: allowed domains, approval, requests per day."""
        return external_signers.settings(
            organisation_id=_org(), requests_per_day=current_app.config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"]
        )

    @blp.arguments(ExternalSignerSettingsSchema(partial=True))
    @blp.response(200, ExternalSignerSettingsSchema)
    def patch(self, data):
        """Restrict external signers to listed domains (empty list: any) and/or require approval."""
        return external_signers.update_settings(
            organisation_id=_org(),
            requests_per_day=current_app.config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"],
            **data,
        )


@blp.route("/external-signers")
@admin_only
@blp.arguments(ExternalSignerQuerySchema, location="query")
@blp.response(200, ExternalSignerListSchema)
def list_external_signers(args):
    """External signers practitioners asked for (pending approval by default)."""
    state = None if args["state"] == "all" else args["state"]
    return {"items": [_signer(s) for s in external_signers.list_signers(organisation_id=_org(), state=state)]}


@blp.route("/external-signers/<uuid:signer_id>/approve", methods=["POST"])
@admin_only
@blp.response(200, ExternalSignerItemSchema)
@blp.alt_response(409, description="Already approved or refused")
def approve_external_signer(signer_id):
    """Approve a new external signer: the links of the requests waiting for them are emailed now."""
    signer, sent = external_signers.approve(
        actor=current_user(),
        signer_id=signer_id,
        now=utcnow(),
        link_days=current_app.config["EXTERNAL_SIGNOFF_DAYS"],
        base_url=public_url(),
    )
    return _signer(signer, sent)


@blp.route("/external-signers/<uuid:signer_id>/refuse", methods=["POST"])
@admin_only
@blp.response(200, ExternalSignerItemSchema)
@blp.alt_response(409, description="Already approved or refused")
def refuse_external_signer(signer_id):
    """Refuse an external signer: the requests waiting for them are cancelled; nothing is emailed."""
    return _signer(external_signers.refuse(actor=current_user(), signer_id=signer_id, now=utcnow()))


# --- frameworks and the audit trail (read-only views) ------------------------------------------


@blp.route("/frameworks")
@admin_only
@blp.response(200, FrameworkCoverageSchema(many=True))
def frameworks_coverage():
    """Each framework the organisation sees and whom it applies to: active people whose registrations
    follow it, job roles whose usual regulator it serves, a supervision policy's applies_to. New
    versions are uploaded with POST /api/v1/frameworks."""
    return framework_coverage(organisation_id=_org())


@blp.route("/audit")
@admin_only
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def audit_events(args):
    """The organisation's audit trail, newest first, a page at a time (read-only): what its people
    did and what external signers did on its people's requests."""
    page = audit_trail.organisation_events(organisation_id=_org(), **args)
    return page | {"kinds": audit_trail.event_kinds(organisation_id=_org())}
