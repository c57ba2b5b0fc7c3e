"""Flask extensions, created unbound and bound to an app in `create_app()`."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from flask_babel import Babel, Domain
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from exports.plurals import FrenchSource


class FrenchSourceDomain(Domain):
    """The app's messages: a catalog when there is one, falling back to the French source
    texts with the French plural rule (gettext alone would say "0 abandons")."""

    def get_translations(self) -> Any:
        translations = super().get_translations()
        if not getattr(translations, "_french_source", False):
            translations.add_fallback(FrenchSource())
            translations._french_source = True
        return translations


class FrenchBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return FrenchSourceDomain(domain=self.domain)


babel = FrenchBabel()
csrf = CSRFProtect()
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
login_manager.login_view = "people.login"
login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
login_manager.session_protection = "basic"
