"""纳税人识别号 on a 发票: 15, 18 or 20 characters; an 18-character one is a unified social credit code whose
last character is the GB 32100-2015 check character over the first 17 (weights 3^i mod 31)."""

import pytest

from coop.lib.validators import is_uscc, normalize_tax_number, tax_number_problem, uscc_check_char

# Printed on real business licences (public registrations).
REAL_CODES = ["91440300708461136T", "91330100799655058B", "914403001922038216"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_licence_codes_pass_and_any_one_changed_character_fails(code):
    assert is_uscc(code) and tax_number_problem(code) == ""
    for i in range(18):
        for other in "0A":  # change each position: a check character catches every single substitution
            if code[i] == other:
                continue
            changed = code[:i] + other + code[i + 1:]
            assert not is_uscc(changed), changed


def test_the_check_character_follows_the_standard():
    # GB 32100-2015 §4.3: for 91440300708461136 the sum of value × 3^i is 5 mod 31, and 31 − 5 = 26 is T.
    assert uscc_check_char("91440300708461136") == "T"
    assert uscc_check_char("91330100799655058") == "B"


@pytest.mark.parametrize("code", [
    "91440604MA4UDEMO1X",   # O is not in the code's alphabet (nor I, S, V, Z)
    "9144030070846113IT",
    "91AB0300708461136T",   # the region (characters 3–8) is digits
])
def test_letters_outside_the_alphabet_and_a_lettered_region_fail(code):
    assert not is_uscc(code) and "有一位不对" in tax_number_problem(code)


@pytest.mark.parametrize("number", ["440300708461136", "44030019700101123401"])
def test_older_15_and_20_character_numbers_pass(number):
    assert tax_number_problem(number) == ""


@pytest.mark.parametrize("number", ["", "1234", "9144030070846113", "914403007084611366T", "9144030070846113６T*"])
def test_other_lengths_and_characters_fail_in_chinese(number):
    assert "15、18 或 20 位" in tax_number_problem(normalize_tax_number(number))


def test_what_people_type_is_normalised_first():
    assert normalize_tax_number(" ９１４４ ０３００-７０８４６１１３６ｔ ") == "91440300708461136T"
    assert normalize_tax_number("91440300708461136t") == "91440300708461136T"
