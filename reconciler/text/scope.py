"""The words that say which part of the inventory a run answered for, ru and en.

Every output states its scope ("Сверка ограничена: ..."), and a run that matched almost nothing
says first that the inventory looks like the wrong one.
"""

from __future__ import annotations

from reconciler.models import Scope, ScopeBasis

SHOWN = 6  # named places or people listed before "and N more"

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        ScopeBasis.CONFIGURED: "Сверка ограничена: {named} (настройка {source})",
        ScopeBasis.LOCATIONS: "Сверка ограничена: {named}, по местонахождениям ведомости",
        ScopeBasis.CUSTODIANS: "Сверка ограничена: {named}, по МОЛ ведомости",
        ScopeBasis.MATCHED: "Сверка ограничена: {named}, по местонахождениям найденных в ИТ позиций",
        ScopeBasis.ORGANISATION: "Сверка ограничена: {named}, по организации в заголовке ведомости",
        ScopeBasis.WHOLE: "Ведомость не называет мест: сверка со всей инвентаризацией ИТ",
        "within": " (организация {names})",
        "whole_configured": "Сверка со всей инвентаризацией ИТ (настройка {source})",
        "size": "; в области сверки {size} из {total} записей ИТ",
        "more": "и еще {n}",
        "wrong_inventory": (
            "Похоже, ведомость сверена не с той инвентаризацией: найдено {matched} из {keyed} "
            "строк с инвентарным, серийным номером или штрихкодом ({share}). Излишки («Нет в "
            "учете») не показаны; проверьте источник инвентаризации в настройках"
        ),
        "subject": "Не та инвентаризация? Найдено {matched} из {keyed}",
    },
    "en": {
        ScopeBasis.CONFIGURED: "Reconciliation limited to: {named} (setting {source})",
        ScopeBasis.LOCATIONS: "Reconciliation limited to: {named}, by the register's locations",
        ScopeBasis.CUSTODIANS: "Reconciliation limited to: {named}, by the register's custodians",
        ScopeBasis.MATCHED: (
            "Reconciliation limited to: {named}, by the locations of the assets its rows matched"
        ),
        ScopeBasis.ORGANISATION: (
            "Reconciliation limited to: {named}, by the organisation in the register's title"
        ),
        ScopeBasis.WHOLE: "The register names no place: compared with the whole IT inventory",
        "within": " (organisation {names})",
        "whole_configured": "Compared with the whole IT inventory (setting {source})",
        "size": "; {size} of {total} IT records in scope",
        "more": "and {n} more",
        "wrong_inventory": (
            "The register looks reconciled against the wrong inventory: {matched} of {keyed} "
            "rows with an inventory number, serial or barcode matched ({share}). No surplus "
            "(not on the books) is listed; check the inventory source in the configuration"
        ),
        "subject": "Wrong inventory? {matched} of {keyed} matched",
    },
}


def _text(language: str) -> dict[str, str]:
    return TEXT.get(language, TEXT["en"])


def named_list(values: list[str], language: str) -> str:
    """Each name quoted: places hold commas themselves ("Санкт-Петербург, офис, 3 этаж"), so
    a bare comma list could not be read back into its places."""
    quote = "«{}»" if language == "ru" else "“{}”"
    shown = ", ".join(quote.format(v) for v in values[:SHOWN])
    if len(values) > SHOWN:
        shown += ", " + _text(language)["more"].format(n=len(values) - SHOWN)
    return shown


def statement(scope: Scope, language: str) -> str:
    """One sentence: what the run was limited to and why, and how much of IT that is."""
    t = _text(language)
    if scope.asset_ids is None:
        key = "whole_configured" if scope.basis is ScopeBasis.CONFIGURED else scope.basis
        return t[key].format(source=scope.source) + f" ({scope.total})"
    text = t[scope.basis].format(named=named_list(scope.named, language), source=scope.source)
    if scope.organisation and scope.basis is not ScopeBasis.ORGANISATION:
        text += t["within"].format(names=", ".join(scope.organisation))
    return text + t["size"].format(size=scope.size, total=scope.total)


def _share(scope: Scope, language: str) -> str:
    share = 100 * scope.keyed_matched / scope.keyed_rows if scope.keyed_rows else 0.0
    text = f"{share:.0f}%" if share >= 1 or share == 0 else f"{share:.1f}%"
    return text.replace(".", ",") if language == "ru" else text


def guard_warning(scope: Scope, language: str) -> str | None:
    if not scope.wrong_inventory:
        return None
    return _text(language)["wrong_inventory"].format(
        matched=scope.keyed_matched, keyed=scope.keyed_rows, share=_share(scope, language)
    )


def subject_prefix(scope: dict[str, object] | None, language: str) -> str:
    """'Wrong inventory? 0 of 60 matched — ', from results.json's scope, or ''."""
    if not scope or not scope.get("wrong_inventory"):
        return ""
    t = _text(language)
    return t["subject"].format(matched=scope.get("keyed_matched"), keyed=scope.get("keyed_rows"))


def lines(scope: Scope | None, language: str) -> list[str]:
    """What every output says first: the guard's warning (if any), then the scope."""
    if scope is None:
        return []
    warning = guard_warning(scope, language)
    return [*([warning] if warning else []), statement(scope, language)]
