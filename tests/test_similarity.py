import pytest

from board.similarity import similar_groups, terms


def groups(texts):
    """The hints as sets of texts, each document from its own table."""
    hints = similar_groups([(text, text, i) for i, text in enumerate(texts)])
    return [set(h.keys) for h in hints], hints


def test_school_dropout_axes_go_together_and_youth_employment_does_not():
    found, hints = groups(["décrochage scolaire", "les décrocheurs de l'école",
                           "emploi des jeunes"])
    assert found == [{"décrochage scolaire", "les décrocheurs de l'école"}]
    # The hint says why: the words the two share, as people wrote them.
    words = " ".join(hints[0].words)
    assert "décrochage" in words and "décrocheurs" in words
    assert "école" in words and "scolaire" in words


@pytest.mark.parametrize(("texts", "expected"), [
    (["Accès aux soins des personnes âgées", "Les personnes âgées isolées et les soins",
      "Pistes cyclables sécurisées"],
     [{"Accès aux soins des personnes âgées", "Les personnes âgées isolées et les soins"}]),
    (["Trouver un emploi pour les jeunes du quartier", "emploi des jeunes",
      "décrochage scolaire"],
     [{"Trouver un emploi pour les jeunes du quartier", "emploi des jeunes"}]),
    (["Le logement social", "La culture au quartier", "Sport pour les filles"], []),
])
def test_french_examples_group_only_what_belongs_together(texts, expected):
    assert groups(texts)[0] == expected


def test_stop_words_and_elisions_never_make_a_match():
    assert groups(["de la des les", "les de la du"])[0] == []
    assert [word for _, word in terms("l'école et les écoles du quartier d’Aubervilliers")] == [
        "école", "écoles", "quartier", "aubervilliers"]


def test_axes_of_one_table_are_not_suggested_together():
    hints = similar_groups([(1, "décrochage scolaire", "table-1"),
                            (2, "décrocheurs de l'école", "table-1")])
    assert hints == []


def test_weak_matches_are_hidden():
    # One common word lost among many others stays below the threshold.
    hints = similar_groups([
        (1, "jeunes parents isolés sans crèche ni aide le samedi matin", 1),
        (2, "jeunes sportifs du club de foot qui cherchent un terrain couvert", 2)])
    assert hints == []


@pytest.mark.parametrize(("a", "b"), [
    ("crèche", "crèches"),                      # singular and plural
    ("Manque de crèches", "La crèche du quartier"),
    ("bus", "bus le soir"),                     # a short and a long form
    ("Transports", "transport en commun"),
    ("Décrochage scolaire", "Les décrocheurs de l'école"),
    ("Logement social", "logements sociaux"),
])
def test_close_axis_names_are_suggested_together(a, b):
    assert groups([a, b])[0] == [{a, b}]


@pytest.mark.parametrize(("a", "b"), [
    ("crèche", "bus le soir"),
    ("bus", "vélo"),
    ("Emploi des jeunes", "Sport au quartier"),
    ("Accès aux soins", "Pistes cyclables"),
    ("Logement social", "Culture"),
])
def test_unrelated_axis_names_stay_apart(a, b):
    assert groups([a, b])[0] == []


def test_among_many_axes_each_pair_still_meets_and_the_rest_stay_apart():
    names = ["crèche", "crèches", "bus", "bus le soir", "emploi des jeunes", "vélo",
             "pistes cyclables", "accès aux soins", "culture au quartier"]
    found = groups(names)[0]
    assert {"crèche", "crèches"} in found and {"bus", "bus le soir"} in found
    assert all(len(group) == 2 for group in found)



def test_a_pause_between_steps_lets_a_server_breathe_and_changes_nothing():
    """The consolidation's hints over a thousand names take tens of milliseconds: `pause`
    is called between two steps (the server yields there) while the names are read, their
    words paired and the groups described, and the groups are the same without it."""
    names = ["bus le soir", "les bus du soir", "crèche", "crèches du quartier", "vélo",
             "pistes pour le vélo", "emploi des jeunes", "jeunes sans emploi"] * 40
    documents = [(i, name, i % 50) for i, name in enumerate(names)]
    pauses = []
    with_pauses = similar_groups(documents, pause=lambda: pauses.append(1))
    without = similar_groups(documents)
    assert [(h.keys, h.words) for h in with_pauses] == [(h.keys, h.words) for h in without]
    reading, pairing = len(documents) // 100, 6  # a hundred names; a word linking names
    assert len(pauses) >= reading + pairing + len(with_pauses)
