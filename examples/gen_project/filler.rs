//! Modules with no permission in sight, so that the tree has a realistic size: admin, services,
//! forms, utils, serializers, selectors, tasks and a management command.

use std::fmt::Write as _;

use super::{capitalize, App, Gen, Lines, Rng};

/// The filler modules of an app.
pub fn write_app(g: &mut Gen, app: &App, rng: &mut Rng) {
    let dir = format!("acme/{}", app.name);
    let cls = |j: usize| app.models[j].class.clone();
    let names: Vec<String> = app.models.iter().map(|m| m.class.clone()).collect();
    // admin.py
    let mut s = String::from("from django.contrib import admin\n\n");
    let _ = writeln!(s, "from .models import {}\n", names.join(", "));
    for m in &app.models {
        let _ = writeln!(s, "\n@admin.register({})", m.class);
        let _ = writeln!(s, "class {}Admin(admin.ModelAdmin):", m.class);
        let _ = writeln!(
            s,
            "    list_display = (\"name\", \"amount\", \"created\")\n    search_fields = (\"name\", \"slug\")\n    ordering = (\"-created\",)"
        );
    }
    g.write(&format!("{dir}/admin.py"), &s);

    // services.py (imported by views)
    let mut py = Lines::default();
    py.text("\"\"\"Business logic.\"\"\"\nimport datetime\nimport decimal\nimport re\n\n\ndef summarize(obj):\n    return {\"id\": obj.pk, \"name\": obj.name, \"amount\": str(obj.amount)}\n\n");
    for k in 0..(8 + rng.below(16)) {
        filler_function(rng, &mut py, &app.name, k);
    }
    g.write(&format!("{dir}/services.py"), &py.0);

    // forms.py
    let mut s = String::from("from django import forms\n\n");
    let _ = writeln!(s, "from .models import {}\n", names.join(", "));
    for m in &app.models {
        let _ = writeln!(s, "\nclass {0}Form(forms.ModelForm):\n    class Meta:\n        model = {0}\n        fields = [\"name\", \"slug\", \"amount\"]\n\n    def clean_name(self):\n        name = self.cleaned_data[\"name\"].strip()\n        if len(name) < 2:\n            raise forms.ValidationError(\"Too short\")\n        return name\n", m.class);
    }
    g.write(&format!("{dir}/forms.py"), &s);

    // Filler modules, no permission in sight.
    for module in ["utils", "serializers", "selectors", "tasks"] {
        let mut py = Lines::default();
        let _ = write!(
            py.0,
            "\"\"\"{} for the {} app.\"\"\"\nimport datetime\nimport decimal\nimport re\n\n",
            capitalize(module),
            app.name
        );
        for k in 0..(12 + rng.below(36)) {
            filler_function(rng, &mut py, module, k);
        }
        g.write(&format!("{dir}/{module}.py"), &py.0);
    }
    g.write(&format!("{dir}/management/__init__.py"), "");
    g.write(&format!("{dir}/management/commands/__init__.py"), "");
    let mut py = Lines::default();
    let _ = write!(py.0, "from django.core.management.base import BaseCommand\n\nfrom ...models import {}\n\n\nclass Command(BaseCommand):\n    help = \"Recompute slugs\"\n\n    def add_arguments(self, parser):\n        parser.add_argument(\"--dry-run\", action=\"store_true\")\n\n    def handle(self, *args, **options):\n        for obj in {}.objects.all():\n            obj.slug = obj.name.lower().replace(\" \", \"-\")\n            if not options[\"dry_run\"]:\n                obj.save(update_fields=[\"slug\"])\n", cls(0), cls(0));
    g.write(
        &format!("{dir}/management/commands/sync_{}.py", app.name),
        &py.0,
    );
}

/// One plausible helper function (a few hundred bytes), chosen by the generator.
pub fn filler_function(rng: &mut Rng, py: &mut Lines, module: &str, k: usize) {
    let name = format!("{module}_{k}");
    let body = match rng.below(6) {
        0 => format!(
            "\n\ndef normalize_{name}(value, *, max_length=120):\n    \"\"\"Collapse whitespace and trim `value` to `max_length` characters.\"\"\"\n    if value is None:\n        return \"\"\n    value = re.sub(r\"\\s+\", \" \", str(value)).strip()\n    if len(value) > max_length:\n        value = value[: max_length - 1].rstrip() + \"…\"\n    return value\n"
        ),
        1 => format!(
            "\n\ndef total_{name}(lines, tax_rate=\"0.20\"):\n    subtotal = decimal.Decimal(\"0\")\n    for line in lines:\n        quantity = int(line.get(\"quantity\", 1))\n        price = decimal.Decimal(str(line.get(\"price\", \"0\")))\n        subtotal += quantity * price\n    tax = (subtotal * decimal.Decimal(tax_rate)).quantize(decimal.Decimal(\"0.01\"))\n    return {{\"subtotal\": subtotal, \"tax\": tax, \"total\": subtotal + tax}}\n"
        ),
        2 => format!(
            "\n\nclass {cls}Error(Exception):\n    \"\"\"Raised when a {module} record cannot be processed.\"\"\"\n\n    def __init__(self, message, code=None):\n        super().__init__(message)\n        self.code = code or \"invalid\"\n\n    def as_dict(self):\n        return {{\"message\": str(self), \"code\": self.code}}\n",
            cls = capitalize(&name.replace('_', ""))
        ),
        3 => format!(
            "\n\ndef window_{name}(days=30, now=None):\n    now = now or datetime.datetime.now(datetime.timezone.utc)\n    start = now - datetime.timedelta(days=days)\n    buckets = []\n    cursor = start\n    while cursor < now:\n        buckets.append((cursor.date().isoformat(), cursor.weekday()))\n        cursor += datetime.timedelta(days=1)\n    return buckets\n"
        ),
        4 => format!(
            "\n\ndef group_{name}(rows, key=\"status\"):\n    grouped = {{}}\n    for row in rows:\n        grouped.setdefault(row.get(key), []).append(row)\n    return sorted(\n        ((k, len(v)) for k, v in grouped.items() if k is not None),\n        key=lambda item: (-item[1], str(item[0])),\n    )\n"
        ),
        _ => format!(
            "\n\nclass {cls}Serializer:\n    fields = (\"id\", \"name\", \"amount\", \"created\")\n\n    def __init__(self, instance, context=None):\n        self.instance = instance\n        self.context = context or {{}}\n\n    @property\n    def data(self):\n        out = {{}}\n        for field in self.fields:\n            value = getattr(self.instance, field, None)\n            if isinstance(value, (datetime.date, datetime.datetime)):\n                value = value.isoformat()\n            elif isinstance(value, decimal.Decimal):\n                value = str(value)\n            out[field] = value\n        return out\n",
            cls = capitalize(&name.replace('_', ""))
        ),
    };
    py.text(&body);
}
