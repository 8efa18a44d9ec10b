"""Compiles the gettext catalogues (plugin/translations/*/LC_MESSAGES/messages.po) to .mo at build.

Everything else is in pyproject.toml. An editable install compiles them in the checkout; a wheel
gets them in its build directory. The .mo files are not committed (.gitignore), and
plugin.core.i18n compiles a .po in memory when its .mo is missing or older.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogues(build_py):  # noqa: N801 - named like the command it extends
    def run(self):
        super().run()
        root = Path("." if self.editable_mode else self.build_lib)
        for po in sorted(Path("plugin/translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            mo = root / po.with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as compiled:
                write_mo(compiled, catalog)


setup(cmdclass={"build_py": build_py_with_catalogues})
