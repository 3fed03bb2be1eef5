"""bot-bottle's test support: simulators of outside tools, harnesses and corpus locators.

Dev only. No product package imports it (an import-linter contract) and no image holds it
(a test over the built images). See the README for the modules.
"""
