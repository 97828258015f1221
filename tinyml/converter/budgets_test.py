from tinyml.converter.budgets import RuntimeFootprint, check_target
from tinyml.profiles import get_profile

NO_RUNTIME = RuntimeFootprint(base_flash_bytes=0, flash_bytes_per_op=0, static_ram_bytes=0)


def test_small_model_fits_every_profile():
    v = check_target(get_profile("cortex-m3"), model_bytes=20_000, arena_bytes=4_000, num_op_kinds=6)
    fp = RuntimeFootprint()
    assert v.fits and v.messages == ()
    assert v.flash_bytes == 20_000 + fp.base_flash_bytes + 6 * fp.flash_bytes_per_op
    assert v.ram_bytes == 4_000 + get_profile("cortex-m3").stack_bytes + fp.static_ram_bytes


def test_overrun_is_named_with_budget_and_bytes():
    m3 = get_profile("cortex-m3")  # 128 KiB flash, 20 KiB RAM
    v = check_target(m3, model_bytes=m3.flash_bytes + 10, arena_bytes=m3.ram_bytes - m3.stack_bytes + 7,
                     num_op_kinds=3, footprint=NO_RUNTIME)
    assert not v.fits
    flash_msg, ram_msg = v.messages
    assert f"{m3.flash_bytes}-byte flash budget by 10 bytes" in flash_msg
    assert f"{m3.ram_bytes}-byte RAM budget by 7 bytes" in ram_msg


def test_exactly_at_budget_fits():
    m3 = get_profile("cortex-m3")
    v = check_target(m3, model_bytes=m3.flash_bytes, arena_bytes=m3.ram_bytes - m3.stack_bytes, num_op_kinds=1,
                     footprint=NO_RUNTIME)
    assert v.fits
