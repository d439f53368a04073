from tests import mailserver
from tests.invoicing.conftest import queue_inline, ready_tenant  # noqa: F401  (fixtures, here)

smtp_inbox = mailserver.smtp_inbox
