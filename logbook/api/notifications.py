"""Notifications: the in-app list, marking read, and each person's schedule."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.notifications import service
from logbook.notifications.schemas import (
    NotificationListQuerySchema,
    NotificationListSchema,
    NotificationSchema,
    PreferenceListSchema,
)
from logbook.timeutil import utcnow

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications")


@blp.route("/notifications")
@login_required
@blp.arguments(NotificationListQuerySchema, location="query")
@blp.response(200, NotificationListSchema)
def list_notifications(args):
    """The caller's notifications, newest first."""
    return {"items": service.list_notifications(user=current_user(), unread_only=args["unread"])}


@blp.route("/notifications/<uuid:notification_id>/read", methods=["POST"])
@login_required
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one notification read."""
    return service.mark_read(user=current_user(), notification_id=notification_id, now=utcnow())


@blp.route("/notifications/preferences")
class Preferences(MethodView):
    decorators = [login_required]

    @blp.response(200, PreferenceListSchema)
    def get(self):
        """Every kind of notification, with the caller's schedule (or the default)."""
        return {"items": service.preferences(user=current_user())}

    @blp.arguments(PreferenceListSchema)
    @blp.response(200, PreferenceListSchema)
    def put(self, data):
        """Change some kinds' schedules (`reset: true` restores the default)."""
        return {"items": service.set_preferences(user=current_user(), items=data["items"])}
