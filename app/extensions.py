"""Flask extensions, created unbound and bound to an app in `create_app()`."""

from __future__ import annotations

from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
login_manager.login_view = "people.login"
login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
login_manager.session_protection = "basic"
