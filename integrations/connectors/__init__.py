"""Connectors: invoices come in from the systems a business keeps its books in (an SFTP folder of CSV or UBL files,
QuickBooks Online, Odoo), through the same `invoice_create` service as the editor, the CSV upload and the API, and
the IRN, QR and status go back to where each invoice came from."""
