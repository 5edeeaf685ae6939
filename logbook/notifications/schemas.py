"""Wire shapes for notifications and notification preferences."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields
from logbook.notifications.service import KINDS


class NotificationSchema(Schema):
    """One in-app notification."""

    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String()
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationListQuerySchema(Schema):
    """Only unread ones?"""

    unread = fields.Boolean(load_default=False)


class NotificationListSchema(Schema):
    """Notifications, newest first."""

    items = fields.List(fields.Nested(NotificationSchema))


class PreferenceSchema(Schema):
    """A person's schedule for one kind of notification."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    label = fields.String(dump_only=True)
    is_in_app = fields.Boolean()
    is_email = fields.Boolean()
    lead_days = fields.Integer(validate=validate.Range(min=0, max=120))
    is_default = fields.Boolean(dump_only=True)
    reset = fields.Boolean(load_only=True)


class PreferenceListSchema(Schema):
    """Every kind's schedule."""

    items = fields.List(fields.Nested(PreferenceSchema), required=True)
