# Customers, items, invoices and notes arrive with the Invoicing issue.
