"""Nightly sync to head office, as a library: protocol client, uploader, scheduler and state.

No argparse here: `counter-app sync` lives in counter_app.cli.sync.
"""
