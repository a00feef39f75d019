"""The published shape of the OpenAPI description: every operation's method, path and id, in order, and
the names of its schemas. Clients generate code from these (method names from the operation ids), so
moving code between modules (issue 10's split of endpoints.py and schemas.py) must leave them as they are;
a deliberate change of the API changes this list in the same commit."""

from __future__ import annotations

from logis.api.main import api

OPERATIONS = [
    ("get", "/api/v1/properties", "logis_api_endpoints_list_properties"),
    ("post", "/api/v1/properties", "logis_api_endpoints_create_property"),
    ("get", "/api/v1/properties/{property_id}/units", "logis_api_endpoints_list_units"),
    ("get", "/api/v1/properties/{property_id}/invoices", "logis_api_endpoints_list_invoices"),
    ("post", "/api/v1/properties/{property_id}/invoices", "logis_api_endpoints_create_invoice"),
    ("get", "/api/v1/properties/{property_id}/invoices/summary", "logis_api_endpoints_invoice_summary"),
    ("get", "/api/v1/properties/{property_id}/invoices/{invoice_id}", "logis_api_endpoints_get_invoice"),
    ("patch", "/api/v1/properties/{property_id}/invoices/{invoice_id}", "logis_api_endpoints_update_invoice"),
    (
        "post",
        "/api/v1/properties/{property_id}/invoices/{invoice_id}/publish",
        "logis_api_endpoints_publish_invoice",
    ),
    (
        "post",
        "/api/v1/properties/{property_id}/invoices/{invoice_id}/void",
        "logis_api_endpoints_void_invoice",
    ),
    ("get", "/api/v1/properties/{property_id}/payments", "logis_api_endpoints_list_payments"),
    (
        "post",
        "/api/v1/properties/{property_id}/invoices/{invoice_id}/payments",
        "logis_api_endpoints_record_payment",
    ),
    (
        "post",
        "/api/v1/properties/{property_id}/payments/{payment_id}/reverse",
        "logis_api_endpoints_reverse_payment",
    ),
    (
        "post",
        "/api/v1/properties/{property_id}/units/{unit_id}/remittances",
        "logis_api_endpoints_record_remittance",
    ),
    ("post", "/api/v1/properties/{property_id}/imports", "logis_api_endpoints_create_import"),
    ("post", "/api/v1/properties/{property_id}/bank-statements", "logis_api_banking_upload_statement"),
    (
        "post",
        "/api/v1/properties/{property_id}/bank-statements/{statement_id}/confirm",
        "logis_api_banking_confirm_statement",
    ),
    ("get", "/api/v1/properties/{property_id}/ledger/trial-balance", "logis_api_ledger_trial_balance"),
    ("get", "/api/v1/properties/{property_id}/ledger/entries", "logis_api_ledger_journal_entries"),
    ("get", "/api/v1/properties/{property_id}/ledger/accounts", "logis_api_ledger_accounts_ledger_accounts"),
    ("get", "/api/v1/properties/{property_id}/autopay", "logis_api_autopay_list_autopay"),
]
SCHEMAS = [
    "AccountKind",
    "AccountOut",
    "AccountType",
    "AsOfParams",
    "AutopayDebitState",
    "AutopayEnrolmentOut",
    "AutopayMethod",
    "AutopayPage",
    "BankCode",
    "CandidateOut",
    "CardOut",
    "CategoryRef",
    "ChartAccountOut",
    "ConfirmIn",
    "ConfirmOut",
    "ConfirmedOut",
    "DepositOut",
    "EmailOutcomeOut",
    "EntryKind",
    "FieldErrorsOut",
    "FundKindCode",
    "FundRef",
    "ImportOut",
    "ImportRefusedOut",
    "ImportRowErrorOut",
    "InvoiceCreateIn",
    "InvoiceDetailOut",
    "InvoiceFilters",
    "InvoiceLineIn",
    "InvoiceLineOut",
    "InvoiceOut",
    "InvoicePage",
    "InvoiceSort",
    "InvoiceStatus",
    "InvoiceUpdateIn",
    "JournalEntryOut",
    "JournalLineOut",
    "JournalPage",
    "Language",
    "LineErrorOut",
    "ManualMethodCode",
    "MatchIn",
    "MessageOut",
    "PageParams",
    "PaymentFilters",
    "PaymentIn",
    "PaymentKind",
    "PaymentMethodCode",
    "PaymentOut",
    "PaymentPage",
    "PaymentResultOut",
    "PaymentStatus",
    "PaymentTotalsOut",
    "PropertyCreateIn",
    "PropertyOut",
    "PropertyPage",
    "Province",
    "PublishOut",
    "RemittanceIn",
    "RemittanceOut",
    "ResidentRef",
    "ReverseIn",
    "Role",
    "StatementOut",
    "SummaryOut",
    "TrialBalanceOut",
    "TrialBalanceRowOut",
    "UnitOut",
    "UnitPage",
    "UnitRef",
    "VoidIn",
]


def test_the_operations_keep_their_paths_ids_and_order() -> None:
    schema = api.get_openapi_schema()
    found = [(m, p, op["operationId"]) for p, o in schema["paths"].items() for m, op in o.items()]
    assert found == OPERATIONS


def test_the_schemas_keep_their_names() -> None:
    assert sorted(api.get_openapi_schema()["components"]["schemas"]) == SCHEMAS
