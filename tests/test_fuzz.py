"""The whole command line under hostile input (issue 7): every invocation ends
with status 0, or 2 with one message and nothing on stdout, never a traceback.
CI runs a modest number of examples; benchmarks/fuzz_cli.py runs 10^5."""

from hypothesis import HealthCheck, given, settings

from cli_fuzz import check, invocations


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invocations())
def test_the_exit_status_contract_holds_for_any_input(invocation):
    check(*invocation)
