"""The order ``make test`` hands modules to its two workers (tests/module_order.py)."""

from __future__ import annotations

from pathlib import Path

from tests.module_order import module_order, sort_items


def test_one_worker_runs_home_free_modules_while_the_other_waits_on_a_module_with_more_than_two_tests():
    free_long, free_short = Path("tests/test_wheel_install.py"), Path("tests/test_embeddings.py")
    home_long_small, home_long_big = Path("tests/test_loop_e2e.py"), Path("tests/test_llm_openai.py")
    home_short = Path("tests/test_skills.py")
    modules = [free_short, home_short, home_long_small, free_long, home_long_big]
    counts = {free_short: 3, home_short: 14, home_long_small: 1, free_long: 1, home_long_big: 5}
    order = module_order(modules, {home_short, home_long_small, home_long_big}, counts)
    # the loop module is longer than the vLLM module but has one test: its worker would take a free module next
    assert order == [free_long, home_long_big, free_short, home_long_small, home_short]


def test_without_home_modules_the_order_is_longest_first_and_items_keep_their_order_within_a_module():
    a, b = Path("tests/test_a_new_module.py"), Path("tests/test_wheel_install.py")
    items = [(a, 1), (b, 1), (a, 2), (b, 2)]
    sort_items(items, lambda item: item[0], set())
    assert items == [(b, 1), (b, 2), (a, 1), (a, 2)]
