"""Everything Valvomo holds about one customer, for the customer's own download."""

from __future__ import annotations

from typing import Any

from core.audit.services import customer_access_log
from core.citizen.services import Citizen
from core.customers.tables import ContactPerson, Customer, CustomerPayer
from core.decisions import decision_records, decisions_about
from core.plugins.host import PluginHost

CUSTOMER_FIELDS = (
    Customer.identity_code, Customer.first_name, Customer.last_name, Customer.street_address,
    Customer.postal_code, Customer.municipality, Customer.phone, Customer.language,
    Customer.status, Customer.status_date, Customer.external_number, Customer.created_at,
    Customer.updated_at,
)  # fmt: skip
PAYER_FIELDS = (CustomerPayer.valid_from, CustomerPayer.valid_to, CustomerPayer.name,
                CustomerPayer.relationship, CustomerPayer.street_address,
                CustomerPayer.postal_code, CustomerPayer.post_office)  # fmt: skip
CONTACT_FIELDS = (ContactPerson.name, ContactPerson.relationship, ContactPerson.phone,
                  ContactPerson.email)  # fmt: skip


async def customer_data(host: PluginHost, customer_id: int, citizen: Citizen) -> dict[str, Any]:
    """The customer's details, contact persons, each plugin's data, the decisions about their
    services (those `citizen` may see, as on the page of decisions) and the access log."""
    customer = await Customer.select(*CUSTOMER_FIELDS).where(Customer.id == customer_id).first()
    contacts = await ContactPerson.select(*CONTACT_FIELDS).where(
        ContactPerson.customer == customer_id
    )
    payers = (
        await CustomerPayer.select(*PAYER_FIELDS)
        .where(CustomerPayer.customer == customer_id)
        .order_by(CustomerPayer.valid_from)
    )
    sections: list[dict[str, Any]] = await host.acollect("valvomo_citizen_data",
                                                         customer_id=customer_id)  # fmt: skip
    decisions = decision_records(await decisions_about(host, customer_id, citizen))
    log = await customer_access_log(customer_id)
    return {
        "customer": customer or {},
        "contact_persons": contacts,
        "payers": payers,
        "services": {name: data for section in sections for name, data in section.items()},
        "decisions": decisions,
        "access_log": [
            {k: row[k] for k in ("at", "actor_name", "actor_roles", "action", "entity")}
            for row in log
        ],
    }
