"""Similar axes and notes across tables, computed here in French: nothing leaves the server.

Words are lower-cased, split, stripped of French stop words and elisions (l', d'…),
stemmed with Snowball's French stemmer, then cut to their first letters so that one
family of words meets (décrochage, décrocheurs → « décroch »); a few French words
whose family changes its root (école / scolaire) are mapped by hand. Each text becomes
a TF-IDF vector; pairs whose cosine reaches a threshold are linked, and linked texts
form a group, and so do a short and a long form of one idea (every word of one text found
in the other). A group comes with the words its texts share, which explain it.
"""

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

# Snowball's French stop list, plus words that carry nothing in a civic constat.
STOP_WORDS = frozenset("""
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes
suis es est sommes êtes sont serai seras sera serons serez seront serais serait serions seriez
seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai
as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse
eusses eût eussions eussiez eussent ceci cela celà cet cette ici ils les leurs quel quels
quelle quelles sans soi trop très plus moins peu beaucoup tout tous toute toutes autre autres
aussi encore comme donc car si non oui faire fait font dont où quand entre vers chez sous
manque besoin
""".split())

# Families whose root changes (suppletive pairs): the adjective and the noun meet.
FAMILIES = {
    "scolair": "écol", "scolar": "écol", "écoli": "écol",
    "urbain": "vill", "citadin": "vill",
    "sanitair": "sant", "médical": "sant", "soin": "sant",
    "parental": "parent", "familial": "famill",
    "juvénil": "jeun", "jeuness": "jeun",
    "professionnel": "emploi", "métier": "emploi", "travail": "emploi", "chômag": "emploi",
    "logement": "log", "habitat": "log", "loger": "log",
}

ROOT_LENGTH = 7
THRESHOLD = 0.35
# A word found in more texts than this explains no particular pair (its weight is low
# anyway); leaving it out of the pairing keeps 200 tables' worth of notes fast.
COMMON = 150
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("french")


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word.lower())


def terms(text: str) -> list[tuple[str, str]]:
    """(root, word) for each meaningful word of a French text."""
    found = []
    for raw in re.split(r"\s+", text):
        raw = _ELISION.sub("", raw.strip())
        for word in _WORD.findall(raw):
            word = _fold(word)
            if len(word) < 3 or word in STOP_WORDS:
                continue
            found.append((_root(word), word))
    return found


@lru_cache(maxsize=100_000)
def _root(word: str) -> str:
    stem = _stemmer().stemWord(word)
    return FAMILIES.get(stem, stem)[:ROOT_LENGTH]


@dataclass
class Hint:
    """Texts that look alike, and the words they share (the explanation shown)."""

    keys: list
    words: list[str]
    score: float
    pairs: dict = field(default_factory=dict, repr=False)


def _paced(items, pause, every: int = 2000):
    """The items, with a pause after every few thousand (names alike pair by tens of
    thousands)."""
    for position, item in enumerate(items):
        if position % every == every - 1:
            pause()
        yield item


def similar_groups(documents: list[tuple[object, str, object]], threshold: float = THRESHOLD,
                   max_words: int = 5, common: int = COMMON, pause=None) -> list[Hint]:
    """Group documents (key, text, origin) whose TF-IDF cosine reaches `threshold`, or
    whose words are all found in another's (« bus » and « bus le soir »: a short and a long
    form of one idea).

    Only documents of different origins (tables) are linked: a table already sees its own.
    Weak matches are left out; a hint never merges anything by itself. The work grows
    linearly with the documents: pairs are only walked within a word's documents, and a
    word found in more than `common` of them links nothing. `pause`, if given, is called
    between two steps (a hundred texts read, a word's pairs, a group described): a server
    lets its other work run there.
    """
    pause = pause or (lambda: None)
    bags, surfaces = [], defaultdict(Counter)
    for _key, text, _origin in _paced(documents, pause, 100):
        found = terms(text)
        bags.append(Counter(root for root, _ in found))
        for root, word in found:
            surfaces[root][word] += 1
    count = len(documents)
    df = Counter(root for bag in bags for root in bag)
    # Smoothed IDF: a word in every text still counts a little.
    idf = {root: math.log((1 + count) / (1 + n)) + 1 for root, n in df.items()}
    vectors = []
    for bag in bags:
        vector = {root: (1 + math.log(tf)) * idf[root] for root, tf in bag.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors.append({root: w / norm for root, w in vector.items()})

    # Only texts sharing a root can be alike: walk an inverted index, not every pair.
    index = defaultdict(list)
    for i, vector in enumerate(vectors):
        for root in vector:
            index[root].append(i)
    dots, shared = defaultdict(float), Counter()
    for root, docs in index.items():
        if len(docs) > common:
            continue
        pause()
        for a_pos, a in enumerate(docs):
            for b in docs[a_pos + 1:]:
                if documents[a][2] != documents[b][2]:
                    dots[a, b] += vectors[a][root] * vectors[b][root]
                    shared[a, b] += 1

    parent = list(range(count))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    strong = {pair: score for pair, score in _paced(dots.items(), pause)
              if score >= threshold
              or shared[pair] == min(len(vectors[pair[0]]), len(vectors[pair[1]]))}
    for a, b in _paced(strong, pause):
        parent[find(a)] = find(b)
    groups = defaultdict(list)
    for i in range(count):
        groups[find(i)].append(i)
    best = defaultdict(float)
    for (a, _b), score in _paced(strong.items(), pause):
        best[find(a)] = max(best[find(a)], score)

    hints = []
    for leader, members in groups.items():
        if len(members) < 2:
            continue
        pause()
        weights, holders = Counter(), Counter()
        for i in members:
            for root, weight in vectors[i].items():
                weights[root] += weight
                holders[root] += 1
        common_roots = Counter({r: w for r, w in weights.items() if holders[r] >= 2})
        words = [" / ".join(w for w, _ in surfaces[root].most_common(2))
                 for root, _weight in common_roots.most_common(max_words)]
        hints.append(Hint(keys=[documents[i][0] for i in members], words=words,
                          score=round(best[leader], 2)))
    hints.sort(key=lambda h: (-len(h.keys), -h.score))
    return hints
