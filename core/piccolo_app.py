"""Core's Piccolo app: the tables of identity, customers, audit and tasks."""

import os

from piccolo.conf.apps import AppConfig

from core.audit.tables import AuditEntry, AuditSeal
from core.citizen.tables import CitizenSession, ProxyRight
from core.customers.tables import ContactPerson, Customer, CustomerMove, CustomerPayer
from core.identity.tables import (
    KnownPermission,
    LoginAttempt,
    RecoveryCode,
    StaffIdentity,
    StaffRole,
    StaffSession,
    StaffUser,
    UserRole,
)
from core.tasks.tables import Task
from core.web.ratelimit import RateCounter

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
        RecoveryCode,
        StaffIdentity,
        Customer,
        CustomerPayer,
        ContactPerson,
        CustomerMove,
        CitizenSession,
        ProxyRight,
        AuditEntry,
        AuditSeal,
        Task,
        RateCounter,
    ],
)
