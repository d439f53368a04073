"""The code lists a CSV file may use (states, LGAs, HS and service codes, tax categories), as pages a business
person reads: the code to write in the file beside its name. Searched and paged as the API's helpers search them
(invoicing/api/helpers.py `helper_rows`), so a code found here is one the file's check accepts."""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from integrations.reference import lookup
from invoicing.api.helpers import helper_rows
from tenants.permissions import tenant_required

PER_PAGE = 50
SEARCH_MAX = 100  # as the API's ?q=


@dataclass(frozen=True)
class CodeList:
    helper: str  # the API helper's name, which is also the page's path
    tab: str
    column: str  # the file's column the code goes in
    headings: tuple  # after "Code"
    note: str = ""  # said once above the table
    search_label: str = ""  # no search box when empty (the short lists fit one page)
    search_hint: str = ""

    @property
    def url_name(self) -> str:
        return "codes_" + self.helper.replace("-", "_")


LISTS = (
    CodeList("states", gettext_lazy("States"), "customer_state", (gettext_lazy("State"),)),
    CodeList(
        "lgas",
        gettext_lazy("Local government areas (LGAs)"),
        "customer_lga",
        (gettext_lazy("LGA"), gettext_lazy("State")),
        search_label=gettext_lazy("LGA name"),
        search_hint=gettext_lazy("e.g. Ikeja"),
    ),
    CodeList(
        "hs-codes",
        gettext_lazy("HS codes (goods)"),
        "line_hsn_code",
        (gettext_lazy("Goods"),),
        search_label=gettext_lazy("Code or words"),
        search_hint=gettext_lazy("e.g. 8517 or telephone"),
    ),
    CodeList(
        "service-codes",
        gettext_lazy("Service codes (ISIC)"),
        "line_isic_code",
        (gettext_lazy("Service"),),
        search_label=gettext_lazy("Code or words"),
        search_hint=gettext_lazy("e.g. 6201 or programming"),
    ),
    CodeList(
        "tax-categories",
        gettext_lazy("Tax categories"),
        "line_tax_scheme",
        (gettext_lazy("Tax"), gettext_lazy("Rate")),
        # An empty rate is 7.5 % for standard VAT and 0 % otherwise (invoicing/validation.py): each category's own
        # rate where it has one.
        note=gettext_lazy(
            "A line is taxed at the rate in its column “line_tax_rate”. Left empty, that is the category's rate "
            "below, or 0% where the category has no set rate: give that rate in the column."
        ),
    ),
)


def rate_in_words(rate: Decimal | None) -> str:
    """A tax category's rate as a person reads it."""
    if rate is None:
        return _("No set rate")
    if rate == 0:
        return _("0% (no tax is added)")
    return f"{rate.normalize():f}%"


def _cells(code_list: CodeList, row) -> tuple:
    """What the page shows of one row after its code, in the order of `headings`."""
    if code_list.helper == "lgas":
        return (row.name, f"{row.state.name} ({row.state_id})")
    if code_list.helper == "tax-categories":
        return (row.name, rate_in_words(row.default_rate))
    return (row.name,)


def _page(code_list: CodeList):
    @tenant_required
    @require_GET
    def view(request):
        q = request.GET.get("q", "").replace("\0", "").strip()[:SEARCH_MAX] if code_list.search_label else ""
        states = lookup.states()
        state = request.GET.get("state", "") if code_list.helper == "lgas" else ""
        state = state if state in states else ""  # an unknown state filters nothing out
        rows = helper_rows(code_list.helper, q=q, state=state)
        if code_list.helper == "lgas":
            rows = rows.select_related("state")
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))

        def link(**params):
            query = {k: v for k, v in {"q": q, "state": state, **params}.items() if v}
            return reverse(code_list.url_name) + ("?" + urlencode(query) if query else "")

        return render(
            request,
            "invoicing/codes/list.html",
            {
                "code_list": code_list,
                "tabs": [(other.tab, reverse(other.url_name), other is code_list) for other in LISTS],
                "rows": [(row.code, _cells(code_list, row)) for row in page],
                "page": page,
                "total": f"{page.paginator.count:,}",
                "previous_url": link(page=page.previous_page_number()) if page.has_previous() else "",
                "next_url": link(page=page.next_page_number()) if page.has_next() else "",
                "q": q,
                "state": state,
                "states": sorted(states.items(), key=lambda item: item[1]) if code_list.helper == "lgas" else [],
                "state_name": states.get(state, ""),
                "section_nav": "invoices",
            },
        )

    view.__name__ = view.__qualname__ = code_list.url_name
    return view


urlpatterns = [
    path(f"invoices/codes/{code_list.helper}/", _page(code_list), name=code_list.url_name) for code_list in LISTS
]
