from portal.cohorts.matrix import Page


def test_matrix_page_numbers_for_the_shared_pager():
    middle = Page(items=[], page=2, per_page=50, total=120)
    assert (middle.pages, middle.has_prev, middle.has_next, middle.prev_num, middle.next_num) == (3, True, True, 1, 3)
    last = Page(items=[], page=3, per_page=50, total=120)
    assert (last.has_next, Page(items=[], page=1, per_page=50, total=0).pages) == (False, 1)
