"""Select boxes whose options are rendered once and kept (per process, or cached until their data changes):
WTForms builds, escapes and checks every <option> on every request, which on a filter bar of thirty-odd options
costs more than the rest of the form. The HTML is the same as WTForms' own Select widget writes."""

from functools import lru_cache

from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import ValidationError
from wtforms.widgets import html_params


class OptionList:
    """A select's options as (value, label) pairs, rendered once. A plain value: safe to share between requests
    and users as long as the pairs are (no per-user labels, no CSRF token)."""

    def __init__(self, pairs):
        pairs = [(str(value), label or str(value)) for value, label in pairs]
        self.html = Markup("").join(Markup("<option {}>{}</option>").format(html_params(value=v), label)
                                    for v, label in pairs)
        # Each value's opening tag, plain and selected: choosing one is then a lookup and a replace.
        self._tags = {
            v: (Markup("<option {}>").format(html_params(value=v)),
                Markup("<option {}>").format(html_params(selected=True, value=v)))
            for v, _ in pairs
        }
        self.values = frozenset(self._tags)

    def render(self, selected: str | None) -> Markup:
        """Every option, the one whose value is `selected` (if any) marked so, as WTForms marks it."""
        tags = self._tags.get(selected)
        # str.replace on markup and tags that are all escaped already (Markup.replace would escape them again).
        return self.html if tags is None else Markup(str.replace(self.html, *tags, 1))  # noqa: S704


class ListedSelect:
    """The widget: WTForms' Select markup from an OptionList, in one string replace. For optional fields (it
    writes no required or disabled flags)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        attributes = _attributes(tuple(sorted({"name": field.name, **kwargs}.items())))
        # Both parts are escaped markup already: an f-string joins them without Markup.format's escaping pass.
        return Markup(f"<select {attributes}>{field.options.render(field.data)}</select>")  # noqa: S704


@lru_cache(maxsize=256)
def _attributes(items: tuple) -> Markup:
    """html_params, kept: a form's selects write the same few names, ids and aria attributes on every request,
    and html_params formats each through Markup.format."""
    return html_params(**dict(items))


class ListedSelectField(SelectField):
    """A SelectField whose options are an OptionList (set `options` before validating or rendering): the choice
    is checked with one set lookup, with WTForms' message."""

    widget = ListedSelect()
    options = OptionList([])

    def __init__(self, label=None, validators=None, options: OptionList | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        if options is not None:
            self.options = options

    def pre_validate(self, form):
        if self.process_errors:
            return
        if self.data not in self.options.values:
            raise ValidationError(self.invalid_choice_message or self.gettext("Not a valid choice."))
