"""The local runtime: template.yaml read as data, provisioned on moto, and served as Lambda would serve it.

``template`` reads the template, ``resources`` provisions it, ``events`` builds the events Lambda
sends, ``functions`` loads handlers, and ``gateway``, ``pollers`` and ``stack`` run them. Tests use
the same modules, so what passes in a test is what ``make run`` serves.
"""
