"""Journey: a custodian receives a box of vials; a nurse draws for a session, records the administration and
wastes the rest with a witness who signs on the same tablet; the daily count shows no discrepancy; the signed
biennial inventory renders as a PDF. Des Moines, tablet viewport, axe on every screen."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from playwright.sync_api import expect

from ketaflow.testing import ARTIFACTS, _new_page, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

VIAL = "DEMO Ketamine HCl injection 10 mg/mL, 20 mL vial (NDC 99999-0101-20)"


def test_receive_draw_administer_waste_count_and_biennial_inventory(
    clinic: Any, page: Any, chromium: Any, request: Any
) -> None:
    from ketaflow.accounts.services import totp_current_code, totp_device_for
    from ketaflow.ledger.demo import load_demo_ledger
    from ketaflow.ledger.models import Container, LedgerLine

    load_demo_ledger()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # The custodian (cora, Des Moines) receives a box of five vials into the main safe.
    custodian = page
    browser_login(custodian, "cora")
    custodian.wait_for_url(f"{custodian.base_url}/staff/")
    custodian.get_by_role("link", name="Stock").click()
    expect(custodian.get_by_role("heading", level=1)).to_have_text("Controlled-substance stock at Des Moines")
    assert axe_violations(custodian) == []
    custodian.get_by_role("link", name="Receive stock").click()
    custodian.get_by_label("Received into").select_option(label="Main safe")
    custodian.get_by_label("Supplier name").fill("DEMO Midwest Pharmaceutical Supply")
    custodian.get_by_label("Supplier address").fill("1 Demo Way, Ankeny, IA 50023")
    custodian.get_by_label("Supplier DEA number").fill("RD9999990")
    custodian.get_by_label("Invoice number").fill("INV-7001")
    custodian.get_by_label("Product").select_option(label=VIAL)
    custodian.get_by_label("Lot number").fill("K10-JOURNEY")
    custodian.get_by_label("Expiry date").fill("2028-01-31")
    custodian.get_by_label("Number of containers (vials or kits)").fill("5")
    assert axe_violations(custodian) == []
    custodian.get_by_label("I counted the containers and they match the invoice").check()
    custodian.get_by_role("button", name="Save").click()
    expect(custodian.get_by_text("Received 5 containers on invoice INV-7001.")).to_be_visible()
    assert custodian.locator("#containers tbody tr").count() == 5
    custodian.screenshot(path=str(ARTIFACTS / "ledger-stock-after-receipt.png"), full_page=True)

    # The nurse (nina) works on her own tablet: draws 4 mL (40 mg) for a session.
    context, nurse = _new_page(chromium, request, {"width": 1024, "height": 768})
    nurse.base_url = custodian.base_url
    try:
        browser_login(nurse, "nina")
        nurse.wait_for_url(f"{nurse.base_url}/staff/")
        nurse.get_by_role("link", name="Stock").click()
        nurse.get_by_role("link", name="Draw from DES-00001").click()
        nurse.get_by_label("Infusion session").fill("Chair 2, 09:00, patient AB")
        nurse.get_by_label("Quantity drawn (mL)").fill("4")
        assert axe_violations(nurse) == []
        nurse.get_by_role("button", name="Save").click()
        held = nurse.locator("#held")
        expect(held).to_have_text("Drawn from DES-00001 and not yet accounted for: 4 mL.")

        # Administered amount as charted, then the rest wasted with noah signing on this tablet.
        nurse.get_by_label("Administered").fill("3.5")
        nurse.get_by_role("button", name="Record administration").click()
        expect(held).to_have_text("Drawn from DES-00001 and not yet accounted for: 0.5 mL.")
        nurse.get_by_label("Wasted").fill("0.5")
        nurse.get_by_label("Witness user name").fill("nina")
        nurse.get_by_label("Witness password").fill("ketaflow-demo-2026")
        nurse.get_by_label("Witness 6-digit code").fill("000000")
        nurse.get_by_role("button", name="Record waste").click()
        expect(nurse.get_by_text("The witness must be a different person")).to_be_visible()
        assert axe_violations(nurse) == []
        noah = clinic.user("noah")
        nurse.get_by_label("Witness user name").fill("noah")
        nurse.get_by_label("Witness password").fill("ketaflow-demo-2026")
        nurse.get_by_label("Witness 6-digit code").fill(totp_current_code(totp_device_for(noah)))
        nurse.get_by_role("button", name="Record waste").click()
        expect(nurse.get_by_text("Waste of 0.5 mL recorded.")).to_be_visible()
        expect(held).to_have_text("Drawn from DES-00001 and not yet accounted for: 0 mL.")
        nurse.screenshot(path=str(ARTIFACTS / "ledger-waste-witnessed.png"), full_page=True)
        assert nurse.console_errors == []
    finally:
        context.close()

    waste = LedgerLine.objects.get(kind="waste", session_label="Chair 2, 09:00, patient AB")
    assert (waste.actor.username, waste.witness.username, waste.quantity) == ("nina", "noah", 0.5)

    # Daily count by the custodian: every vial as counted matches the book.
    custodian.goto(f"{custodian.base_url}/stock/")
    custodian.get_by_role("link", name="Count stock").click()
    for vial in Container.objects.filter(location=clinic.dsm).order_by("label"):
        counted = "16" if vial.label == "DES-00001" else "20"
        custodian.get_by_label(f"{vial.label} counted (mL)").fill(counted)
    assert axe_violations(custodian) == []
    custodian.get_by_role("button", name="Record count").click()
    expect(custodian.locator("#count-result")).to_have_text(
        "No discrepancy: every container matches the book."
    )
    assert axe_violations(custodian) == []

    # The waste log shows the witnessed waste; the dispensing log filters by session.
    custodian.goto(f"{custodian.base_url}/stock/reports/waste/")
    row = custodian.locator("table.ledger-lines tbody tr").first
    expect(row).to_contain_text("Chair 2, 09:00, patient AB")
    expect(row).to_contain_text("noah")
    assert axe_violations(custodian) == []
    custodian.goto(f"{custodian.base_url}/stock/reports/administration/?session=Chair+2")
    assert custodian.locator("table.ledger-lines tbody tr").count() == 3  # draw, administration, waste

    # Biennial inventory, signed, and its PDF.
    custodian.goto(f"{custodian.base_url}/stock/inventories/new/")
    custodian.get_by_label("Kind").select_option(label="Biennial inventory")
    custodian.get_by_label("Taken at").select_option(label="Close of business")
    for vial in Container.objects.filter(location=clinic.dsm).order_by("label"):
        custodian.get_by_label(f"{vial.label} counted (mL)").fill("16" if vial.label == "DES-00001" else "20")
    custodian.get_by_label("Estimated (open container)", exact=False).first.check()
    custodian.get_by_label("Signature: type your full name").fill("Cora Custodian")
    custodian.get_by_label("Your password (signs the inventory)").fill("ketaflow-demo-2026")
    assert axe_violations(custodian) == []
    custodian.get_by_role("button", name="Sign inventory").click()
    expect(custodian.get_by_role("heading", level=1)).to_contain_text("Biennial inventory")
    assert axe_violations(custodian) == []
    pdf = custodian.request.get(f"{custodian.url}?format=pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    target = ARTIFACTS / "ledger-biennial-inventory.pdf"
    target.write_bytes(pdf.body())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-singlefile",
            str(target),
            str(ARTIFACTS / "ledger-biennial-inventory"),
        ],
        check=True,
    )
    assert (ARTIFACTS / "ledger-biennial-inventory.png").stat().st_size > 5_000
    assert custodian.console_errors == []
