"""Input beyond every bound is a 4xx naming what is wrong, the same on both backends, and writes nothing.

Nested JSON (``[`` x 10000) raised RecursionError, a 500, wherever a body was parsed; dates at the
edge of time overflowed the date arithmetic; amounts of 10^400 passed the program's schema.
"""

from __future__ import annotations

import pytest

from plugin.core import jsonbody


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_not():
    deep = '{"a":' * (jsonbody.MAX_DEPTH - 1) + '["[{\\"x"]' + "}" * (jsonbody.MAX_DEPTH - 1)
    assert jsonbody.loads_object(deep)
    with pytest.raises(jsonbody.MalformedJson):
        jsonbody.loads_object('{"a":' * jsonbody.MAX_DEPTH + "[1]" + "}" * jsonbody.MAX_DEPTH)


