"""Finnish first: every message shown in the UI has a Finnish and a Swedish translation."""

import pytest

from core.catalogues import LANGUAGES, locale_dirs, untranslated

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("folder", locale_dirs(), ids=lambda p: str(p.parent.name))
def test_every_message_is_translated(folder, language) -> None:  # type: ignore[no-untyped-def]
    missing = sorted(untranslated(folder, language))
    assert not missing, f"{len(missing)} untranslated in {folder}/{language}: {missing[:10]}"
