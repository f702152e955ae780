"""Core's Piccolo app: the tables of identity, customers, audit and tasks."""

import os

from piccolo.conf.apps import AppConfig

from core.audit.tables import AuditEntry, AuditHead
from core.customers.tables import ContactPerson, Customer
from core.identity.tables import (
    KnownPermission,
    LoginAttempt,
    StaffRole,
    StaffSession,
    StaffUser,
    UserRole,
)
from core.tasks.tables import Task

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[
        StaffUser,
        StaffRole,
        UserRole,
        KnownPermission,
        StaffSession,
        LoginAttempt,
        Customer,
        ContactPerson,
        AuditEntry,
        AuditHead,
        Task,
    ],
)
