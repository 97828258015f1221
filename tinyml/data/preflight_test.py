import subprocess

import pytest

from tinyml.data.preflight import CsvExpectations, check_csv
from tinyml.errors import TinymlError

EXPECT = CsvExpectations(label="label", num_classes=3, required=("x",))


def _write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_csv_counts_rows(tmp_path):
    p = _write(tmp_path, "x,label\n1,0\n2.5,1\n3,2\n")
    assert check_csv(p, EXPECT) == {str(p): 3}


def test_folder_of_csv_files(tmp_path):
    _write(tmp_path, "x,label\n1,0\n", "a.csv")
    _write(tmp_path, "x,label\n1,1\n", "b.csv")
    assert len(check_csv(tmp_path, EXPECT)) == 2


def test_missing_data_file_names_it_and_the_setting(tmp_path):
    with pytest.raises(TinymlError, match=r"nope.csv does not exist[\s\S]*data.path"):
        check_csv(tmp_path / "nope.csv", EXPECT)


def test_missing_column_is_named(tmp_path):
    p = _write(tmp_path, "y,label\n1,0\n2,1\n")
    with pytest.raises(TinymlError, match=r"data.csv: missing column\(s\) 'x'"):
        check_csv(p, EXPECT)


def test_non_numeric_value_names_row_and_column(tmp_path):
    p = _write(tmp_path, "x,label\n1,0\n2,1\nabc,0\n")
    with pytest.raises(TinymlError, match=r"row 4, column 'x': 'abc' is not a number"):
        check_csv(p, EXPECT)


def test_declared_numeric_column_checked_from_the_first_row(tmp_path):
    p = _write(tmp_path, "x,label\nabc,0\n2,1\n")
    with pytest.raises(TinymlError, match=r"row 2, column 'x'"):
        check_csv(p, CsvExpectations(label="label", num_classes=3, numeric=("x",)))


@pytest.mark.parametrize("text", ["", "x,label\n"])
def test_empty_file(tmp_path, text):
    p = _write(tmp_path, text)
    with pytest.raises(TinymlError, match=r"data.csv (is empty|has a header but no data rows)"):
        check_csv(p, EXPECT)


def test_single_class_label(tmp_path):
    p = _write(tmp_path, "x,label\n1,2\n2,2\n")
    with pytest.raises(TinymlError, match=r"label column 'label' has a single class \(2\)"):
        check_csv(p, EXPECT)


def test_label_outside_the_class_range(tmp_path):
    p = _write(tmp_path, "x,label\n1,0\n2,7\n")
    with pytest.raises(TinymlError, match=r"outside 0..2: 7"):
        check_csv(p, EXPECT)


def test_ragged_row(tmp_path):
    p = _write(tmp_path, "x,label\n1,0\n2\n")
    with pytest.raises(TinymlError, match=r"row 3: 1 values for 2 columns"):
        check_csv(p, EXPECT)


def test_utf8_byte_order_mark_is_refused_naming_the_file_and_the_fix(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes(b"\xef\xbb\xbfx,label\n1,0\n2,1\n")
    with pytest.raises(TinymlError) as e:
        check_csv(p, EXPECT)
    message = str(e.value)
    assert f"{p} starts with a UTF-8 byte-order mark" in message
    assert r"first column as '\ufeffx', not 'x'" in message
    assert "fix: remove the mark: sed -i" in message


def test_byte_order_mark_fix_given_in_the_message_makes_the_file_pass(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes(b"\xef\xbb\xbfx,label\n1,0\n2,1\n")
    with pytest.raises(TinymlError) as e:
        check_csv(p, EXPECT)
    command = str(e.value).split("fix: remove the mark: ", 1)[1].split(" (or,", 1)[0]
    subprocess.run(command, shell=True, check=True)
    assert p.read_bytes() == b"x,label\n1,0\n2,1\n"
    assert check_csv(p, EXPECT) == {str(p): 2}


def test_latin1_file_is_refused_naming_the_line_and_the_iconv_fix(tmp_path):
    # 'é' in Latin-1 on line 9000, past the text layer's first decoding chunk
    rows = "".join(f"{i % 7},{i % 2},ok\n" for i in range(8997))
    p = tmp_path / "latin1.csv"
    p.write_bytes(b"x,label,city\n" + rows.encode() + b"1,0,caf\xe9\n2,1,ok\n")
    with pytest.raises(TinymlError) as e:
        check_csv(p, EXPECT)
    message = str(e.value)
    assert f"{p}, line 8999: not UTF-8 (byte 0xe9)" in message
    command = message.split("fix: convert it, e.g. ", 1)[1].split(" (if it", 1)[0]
    subprocess.run(command, shell=True, check=True, cwd=tmp_path)
    assert check_csv(tmp_path / "utf8.csv", EXPECT) == {str(tmp_path / "utf8.csv"): 8999}
