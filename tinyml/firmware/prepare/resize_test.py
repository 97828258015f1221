from tinyml.firmware.prepare.resize import bilinear_scale_q10, nearest_indices


def test_nearest_indices_follow_each_flag():
    assert nearest_indices(2, 4, False, False) == [0, 0, 1, 1]
    assert nearest_indices(3, 5, True, False) == [0, 1, 1, 2, 2]  # scale 0.5, halves rounded away from zero
    assert nearest_indices(4, 2, False, True) == [1, 3]  # (i + 0.5) * 2
    assert nearest_indices(5, 1, True, False) == [0]  # one output: the size ratio, not (in-1)/(out-1)
    assert nearest_indices(3, 7, False, False)[-1] == 2


def test_bilinear_scale_is_q10_rounded_to_nearest():
    assert bilinear_scale_q10(2, 4, False) == 512
    assert bilinear_scale_q10(3, 2, False) == 1536
    assert bilinear_scale_q10(3, 5, True) == 512  # (3-1)/(5-1)
    assert bilinear_scale_q10(1, 3, False) == 341  # 1024/3 = 341.33
    assert bilinear_scale_q10(2, 3, False) == 683  # 2048/3 = 682.67
