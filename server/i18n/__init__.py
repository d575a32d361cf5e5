"""Languages: gettext catalogs, locale choice, money and number formats, and rules in words."""
