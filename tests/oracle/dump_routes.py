#!/usr/bin/env python3
"""Oracle: every route real Django resolves for a project, walked from ``get_resolver()``.

Usage:
    python dump_routes.py PROJECT_DIR

PROJECT_DIR holds ``manage.py``; the settings module is read from its
``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")`` line. Nothing is written into
PROJECT_DIR. Prints a JSON array, one object per URL pattern (includes flattened):

  pattern   the route as a reader writes it: the patterns of every level joined, regex anchors
            dropped, ``(?P<name>...)`` groups written ``<name>``
  raw       the joined pattern strings exactly as Django has them
  name      the URL name with its namespaces (``ns:name``), or null
  view      ``module.Class`` of a class-based view (DRF viewsets too), else ``module.function``
  actions   a DRF viewset route's ``{method: action}``, else null
  suffix    true for a format-suffix copy of a route (``format_suffix_patterns``)
  module    the URLconf module the pattern is declared in
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True

SETTINGS_RE = re.compile(
    r"""os\.environ\.setdefault\(\s*['"]DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([^'"]+)['"]\s*\)"""
)
SUFFIX_RE = re.compile(r"(\\\.\(\?P<format>[^)]*\)/\?|<drf_format_suffix[^>]*>)")
GROUP_RE = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def readable(raw):
    suffix = bool(SUFFIX_RE.search(raw))
    text = SUFFIX_RE.sub("", raw)
    text = GROUP_RE.sub(lambda m: "<%s>" % m.group(1), text)
    text = text.replace("^", "").replace("$", "").replace("\\.", ".")
    return text, suffix


def view_name(callback):
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    target = cls or callback
    return "%s.%s" % (target.__module__, target.__qualname__)


def walk(patterns, prefix, namespaces, module, out):
    from django.urls import URLPattern, URLResolver

    for p in patterns:
        raw = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespaces + ([p.namespace] if p.namespace else [])
            urlconf = p.urlconf_name
            sub_module = urlconf if isinstance(urlconf, str) else getattr(urlconf, "__name__", module)
            walk(p.url_patterns, raw, ns, sub_module, out)
        elif isinstance(p, URLPattern):
            pattern, suffix = readable(raw)
            actions = getattr(p.callback, "actions", None)
            out.append(
                {
                    "pattern": pattern,
                    "raw": raw,
                    "name": ":".join(namespaces + [p.name]) if p.name else None,
                    "view": view_name(p.callback),
                    "actions": dict(actions) if actions else None,
                    "suffix": suffix,
                    "module": module,
                }
            )


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s PROJECT_DIR\n" % os.path.basename(argv[0]))
        return 2
    project_dir = os.path.abspath(argv[1])
    with open(os.path.join(project_dir, "manage.py"), encoding="utf-8") as fh:
        match = SETTINGS_RE.search(fh.read())
    if match is None:
        sys.stderr.write("error: no DJANGO_SETTINGS_MODULE in manage.py\n")
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = match.group(1)
    sys.path.insert(0, project_dir)
    import django

    django.setup()
    from django.urls import get_resolver

    out = []
    walk(get_resolver().url_patterns, "", [], get_resolver().urlconf_name, out)
    json.dump(out, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
