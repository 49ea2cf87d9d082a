//! The permission checks of an app: views, URLs, templates and tests (where the injected
//! DJP001, DJP002 and DJP006 bugs go), and the constants a view completes into a permission.

use std::fmt::Write as _;

use super::{capitalize, App, Bug, Gen, Lines, Rng};

/// `constants.py`, `views.py`, `urls.py`, templates and `tests.py` of an app.
pub fn write_app(g: &mut Gen, app: &App, rng: &mut Rng) {
    let dir = format!("acme/{}", app.name);
    let cls = |j: usize| app.models[j].class.clone();
    // constants.py: a codename without its label (no dot), completed in views.
    let m0 = &app.models[0];
    g.write(
        &format!("{dir}/constants.py"),
        &format!(
            "\"\"\"Names used across the {} app.\"\"\"\n\nPUBLISH_CODENAME = \"publish_{}\"\nPAGE_SIZE = 50\nDATE_FORMAT = \"%Y-%m-%d\"\n",
            app.name, m0.name
        ),
    );

    // views.py
    let file = format!("{dir}/views.py");
    let mut py = Lines::default();
    py.text("from django.contrib.auth.decorators import login_required, permission_required\nfrom django.contrib.auth.mixins import PermissionRequiredMixin\nfrom django.core.exceptions import PermissionDenied\nfrom django.http import JsonResponse\nfrom django.shortcuts import get_object_or_404, render\nfrom django.views.generic import DetailView, ListView\n\nfrom . import constants\n");
    let names: Vec<String> = app.models.iter().map(|m| m.class.clone()).collect();
    let _ = writeln!(py.0, "from .models import {}", names.join(", "));
    let _ = writeln!(py.0, "from .services import summarize\n");
    let label = &app.label;
    let mut typo_done = false;
    let mut missing_done = false;
    let mut has_perms_done = false;
    for (j, m) in app.models.iter().enumerate() {
        let c = cls(j);
        let n = &m.name;
        py.text("\n\n");
        // A function view with the decorator.
        if !missing_done && app.bugs.contains(&Bug::MissingLabel) {
            missing_done = true;
            let line = py.line(&format!("@permission_required(\"publish_{n}\")"));
            g.bug(Bug::MissingLabel, &file, line);
        } else {
            py.line(&format!(
                "@permission_required(\"{label}.view_{n}\", raise_exception=True)"
            ));
        }
        py.line(&format!("def {n}_list(request):"));
        py.line(&format!("    items = {c}.objects.order_by(\"-created\")"));
        py.line(&format!(
            "    return render(request, \"{}/{n}_list.html\", {{\"items\": items}})",
            app.name
        ));
        py.text("\n\n");
        py.line(&format!("def {n}_publish(request, pk):"));
        py.line(&format!("    obj = get_object_or_404({c}, pk=pk)"));
        let check = if !typo_done && app.bugs.contains(&Bug::Typo) {
            typo_done = true;
            let line = py.line(&format!(
                "    if not request.user.has_perm(\"{label}.pubilsh_{n}\"):"
            ));
            g.bug(Bug::Typo, &file, line);
            None
        } else {
            Some(format!(
                "    if not request.user.has_perm(\"{label}.publish_{n}\"):"
            ))
        };
        if let Some(check) = check {
            py.line(&check);
        }
        py.line("        raise PermissionDenied");
        py.line("    obj.save(update_fields=[\"updated\"])");
        py.line("    return JsonResponse({\"id\": obj.pk, \"name\": obj.name})");
        py.text("\n\n");
        py.line(&format!(
            "class {c}ListView(PermissionRequiredMixin, ListView):"
        ));
        py.line(&format!("    model = {c}"));
        py.line(&format!(
            "    permission_required = (\"{label}.view_{n}\", \"{label}.change_{n}\")"
        ));
        py.line("    paginate_by = constants.PAGE_SIZE");
        py.line(&format!(
            "    template_name = \"{}/{n}_list.html\"",
            app.name
        ));
        if !m.added.is_empty() {
            py.text("\n\n");
            py.line(&format!("def {n}_export(request):"));
            if !has_perms_done && app.bugs.contains(&Bug::HasPermsString) {
                has_perms_done = true;
                let line = py.line(&format!(
                    "    if not request.user.has_perms(\"{label}.export_{n}\"):"
                ));
                g.bug(Bug::HasPermsString, &file, line);
            } else {
                py.line(&format!(
                    "    if not request.user.has_perms([\"{label}.export_{n}\", \"{label}.view_{n}\"]):"
                ));
            }
            py.line("        raise PermissionDenied");
            py.line(&format!(
                "    rows = [summarize(o) for o in {c}.objects.all()[: constants.PAGE_SIZE]]"
            ));
            py.line("    return JsonResponse({\"rows\": rows})");
        }
    }
    py.text("\n\n");
    py.line("@login_required");
    py.line(&format!("def {}_publish_first(request):", m0.name));
    py.line(&format!(
        "    if not request.user.has_perm(\"{label}.\" + constants.PUBLISH_CODENAME):"
    ));
    py.line("        raise PermissionDenied");
    py.line(&format!(
        "    return render(request, \"{}/{}_detail.html\", {{}})",
        app.name, m0.name
    ));
    py.text("\n\n");
    py.line(&format!("class {}DetailView(DetailView):", cls(0)));
    py.line(&format!("    model = {}", cls(0)));
    py.line(&format!(
        "    template_name = \"{}/{}_detail.html\"",
        app.name, m0.name
    ));
    g.write(&file, &py.0);

    // urls.py
    let mut s = String::from("from django.urls import path\n\nfrom . import views\n\n");
    let _ = writeln!(s, "app_name = \"{}\"\n\nurlpatterns = [", app.name);
    for m in &app.models {
        let n = &m.name;
        let _ = writeln!(s, "    path(\"{n}/\", views.{n}_list, name=\"{n}-list\"),");
        let _ = writeln!(
            s,
            "    path(\"{n}/<int:pk>/publish/\", views.{n}_publish, name=\"{n}-publish\"),"
        );
        let _ = writeln!(
            s,
            "    path(\"{n}/all/\", views.{}ListView.as_view(), name=\"{n}-all\"),",
            m.class
        );
        if !m.added.is_empty() {
            let _ = writeln!(
                s,
                "    path(\"{n}/export/\", views.{n}_export, name=\"{n}-export\"),"
            );
        }
    }
    let _ = writeln!(
        s,
        "    path(\"first/\", views.{}_publish_first, name=\"publish-first\"),",
        m0.name
    );
    let _ = writeln!(
        s,
        "    path(\"{0}/<int:pk>/\", views.{1}DetailView.as_view(), name=\"{0}-detail\"),\n]",
        m0.name,
        cls(0)
    );
    g.write(&format!("{dir}/urls.py"), &s);

    // templates
    let tdir = format!("{dir}/templates/{}", app.name);
    for m in &app.models {
        let n = &m.name;
        let s = format!(
            "{{% extends \"base.html\" %}}\n{{% block content %}}\n<h1>{c}s</h1>\n{{% if perms.{label} %}}\n<nav class=\"app-menu\">{app_name}</nav>\n{{% endif %}}\n<table>\n{{% for obj in object_list %}}\n  <tr>\n    <td>{{{{ obj.name }}}}</td>\n    <td>{{{{ obj.amount }}}}</td>\n    {{% if perms.{label}.change_{n} %}}<td><a href=\"#\">Edit</a></td>{{% endif %}}\n    {{% if perms.{label}.delete_{n} %}}<td><a href=\"#\">Delete</a></td>{{% endif %}}\n  </tr>\n{{% empty %}}\n  <tr><td>No {n} yet.</td></tr>\n{{% endfor %}}\n</table>\n{{% if perms.{label}.add_{n} %}}<a class=\"button\" href=\"#\">New {n}</a>{{% endif %}}\n{{% endblock %}}\n",
            c = m.class,
            app_name = app.name,
        );
        g.write(&format!("{tdir}/{n}_list.html"), &s);
    }
    g.write(
        &format!("{tdir}/{}_detail.html", m0.name),
        "{% extends \"base.html\" %}\n{% block content %}\n<h1>{{ object.name }}</h1>\n<p>{{ object.notes|linebreaks }}</p>\n<p>Updated {{ object.updated|date:\"Y-m-d\" }}</p>\n{% endblock %}\n",
    );

    // tests.py
    let mut s = String::from(
        "from django.contrib.auth.models import Permission, User\nfrom django.test import TestCase\n\n",
    );
    let _ = writeln!(s, "from .models import {}\n\n", cls(0));
    let _ = writeln!(
        s,
        "class {}PermissionTests(TestCase):",
        capitalize(&app.name)
    );
    let _ = writeln!(s, "    def setUp(self):");
    let _ = writeln!(
        s,
        "        self.user = User.objects.create_user(\"staff\", password=\"secret\")"
    );
    let _ = writeln!(
        s,
        "        perm = Permission.objects.get(codename=\"publish_{}\", content_type__app_label=\"{label}\")",
        m0.name
    );
    let _ = writeln!(s, "        self.user.user_permissions.add(perm)\n");
    let _ = writeln!(s, "    def test_publish_granted(self):");
    let _ = writeln!(s, "        user = User.objects.get(pk=self.user.pk)");
    let _ = writeln!(
        s,
        "        self.assertTrue(user.has_perm(\"{label}.publish_{}\"))\n",
        m0.name
    );
    let _ = writeln!(s, "    def test_delete_denied(self):");
    let _ = writeln!(s, "        user = User.objects.get(pk=self.user.pk)");
    let _ = writeln!(
        s,
        "        self.assertFalse(user.has_perm(\"{label}.delete_{}\"))",
        m0.name
    );
    for k in 0..(8 + rng.below(24)) {
        let _ = writeln!(
            s,
            "\n    def test_list_{k}(self):\n        self.client.force_login(self.user)\n        for index in range({}):\n            {}.objects.create(name=f\"item {{index}}\", amount=index)\n        response = self.client.get(\"/{}/{}/\", {{\"page\": {}}})\n        self.assertIn(response.status_code, (200, 302, 403))\n        self.assertLessEqual(len(response.content), 1_000_000)",
            k + 2,
            cls(0),
            app.name,
            m0.name,
            k % 3 + 1
        );
    }
    g.write(&format!("{dir}/tests.py"), &s);
}
