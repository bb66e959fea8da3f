"""Writes for the public site: consented screenings (anonymous) and managers' content edits (audited)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm
from ketaflow.public import screening
from ketaflow.public.models import ContentPage, FaqEntry, ScreeningResult

# The booking engine reads this session key to link the consultation to the consented screening.
SESSION_SCREENING_UUID = "ketaflow_screening_uuid"
CONSENT_MISSING = "A screening is stored only with the person's consent."


def screening_result_store(
    *, outcome: screening.Outcome, consent_to_store: bool, ip_hash: str
) -> ScreeningResult:
    """Store a screening the person agreed to share. Without consent nothing is written."""
    if not consent_to_store:
        raise ValueError(CONSENT_MISSING)
    result = ScreeningResult.objects.create(
        path=outcome.path,
        answers=outcome.answers,
        summary=outcome.summary[:500],
        scores=outcome.scores,
        red_flags=outcome.red_flag_keys,
        suicidality=outcome.crisis,
        consultation_worthwhile=outcome.consultation_worthwhile,
        consent_to_store=True,
        rules_version=screening.VERSION,
        ip_hash=ip_hash,
    )
    audit(
        Action.CREATE, obj=result, actor_label="public self-screening", detail="screening stored with consent"
    )
    return result


def _save_tracked(*, form: Any, saved_by: Any, what: str) -> Any:
    ensure_perm(saved_by, Perm.MANAGE_CONTENT)
    obj = form.save(commit=False)
    creating = obj.pk is None
    if creating:
        obj.created_by = saved_by
    obj.updated_by = saved_by
    obj.save()
    state = "published" if obj.published else "draft"
    audit(
        Action.CREATE if creating else Action.UPDATE,
        actor=saved_by,
        obj=obj,
        detail=f"{what} saved ({state})",
    )
    return obj


@transaction.atomic
def content_page_save(*, form: Any, saved_by: Any) -> ContentPage:
    """Create or update a public page from a valid ``ContentPageForm``; managers only; audited."""
    page: ContentPage = _save_tracked(form=form, saved_by=saved_by, what="content page")
    return page


@transaction.atomic
def faq_entry_save(*, form: Any, saved_by: Any) -> FaqEntry:
    """Create or update an FAQ entry from a valid ``FaqEntryForm``; managers only; audited."""
    entry: FaqEntry = _save_tracked(form=form, saved_by=saved_by, what="FAQ entry")
    return entry
