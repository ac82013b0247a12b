"""What the synthetic company owns and who works there: products, serial schemes, sites, people.

Every table here is plain data; `generate.py` draws from it with one seeded random.Random, so
the same seed always gives the same company. Prices are 2019-2026 RUB list prices, roughly.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

# --- products ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    category: str  # server, laptop, desktop, switch, ups, mfp, monitor, dock, phone
    vendor: str  # the manufacturer as the IT inventory writes it
    family: str  # "ProLiant"; the word accountants often drop
    model: str  # "DL380 Gen10"
    cost: tuple[int, int]  # unit price range, RUB
    serial: str  # key of SERIAL_SCHEMES
    book_vendors: tuple[str, ...]  # how accountants spell the vendor (the first is canonical)
    model_spellings: tuple[str, ...] = ()  # other ways to write `model` ("DL380G10")
    weight: float = 1.0

    @property
    def it_model(self) -> str:
        return f"{self.family} {self.model}".strip()

    @property
    def low_value(self) -> bool:
        return self.cost[1] < 40_000


_HPE = ("HPE", "HP", "Hewlett Packard Enterprise", "HP Enterprise", "НР")
_DELL = ("Dell", "DELL", "Dell EMC", "Dell Technologies")
_LENOVO = ("Lenovo", "LENOVO")
_HPINC = ("HP", "Hewlett-Packard", "НР")
_CISCO = ("Cisco", "Cisco Systems", "CISCO")

PRODUCTS: tuple[Product, ...] = (
    # servers
    Product("server", "HPE", "ProLiant", "DL380 Gen10", (950_000, 1_800_000), "hpe", _HPE,
            ("DL380G10", "DL380 G10", "DL380 Gen 10"), 3),
    Product("server", "HPE", "ProLiant", "DL380 Gen10 Plus", (1_150_000, 2_200_000), "hpe", _HPE,
            ("DL380 G10+", "DL380 Gen10+", "DL380G10 Plus"), 2),
    Product("server", "HPE", "ProLiant", "DL360 Gen10", (720_000, 1_400_000), "hpe", _HPE,
            ("DL360G10", "DL360 G10"), 2),
    Product("server", "HPE", "ProLiant", "DL360 Gen11", (1_300_000, 2_600_000), "hpe", _HPE,
            ("DL360G11", "DL360 G11", "DL360 Gen 11"), 1.5),
    Product("server", "HPE", "ProLiant", "DL380 Gen11", (1_500_000, 2_900_000), "hpe", _HPE,
            ("DL380G11", "DL380 G11"), 1.5),
    Product("server", "Dell", "PowerEdge", "R740", (820_000, 1_600_000), "dell", _DELL,
            ("R 740", "R740 Server"), 2),
    Product("server", "Dell", "PowerEdge", "R750", (1_200_000, 2_400_000), "dell", _DELL,
            ("R 750",), 2),
    Product("server", "Dell", "PowerEdge", "R650", (980_000, 1_900_000), "dell", _DELL,
            ("R 650",), 1),
    Product("server", "Lenovo", "ThinkSystem", "SR650", (900_000, 1_700_000), "lenovo_srv",
            _LENOVO, ("SR 650",), 1.5),
    Product("server", "Lenovo", "ThinkSystem", "SR650 V2", (1_100_000, 2_100_000), "lenovo_srv",
            _LENOVO, ("SR650V2", "SR650 v.2"), 1),
    # network and power
    Product("switch", "Cisco", "Catalyst", "9300-48P", (450_000, 900_000), "cisco", _CISCO,
            ("C9300-48P", "9300 48P"), 2),
    Product("switch", "Cisco", "Catalyst", "9200L-24T-4G", (180_000, 350_000), "cisco", _CISCO,
            ("C9200L-24T-4G", "9200L-24T"), 2),
    Product("ups", "APC", "Smart-UPS", "SRT3000RMXLI", (140_000, 260_000), "apc",
            ("APC", "APC by Schneider Electric", "Schneider Electric"),
            ("SRT 3000", "SRT3000RMXLI-NC"), 1.5),
    Product("ups", "APC", "Smart-UPS", "SMT1500RMI2U", (62_000, 115_000), "apc",
            ("APC", "APC by Schneider Electric"), ("SMT1500", "SMT 1500 RM"), 1.5),
    # printing
    Product("mfp", "Kyocera", "ECOSYS", "M3145dn", (45_000, 82_000), "kyocera",
            ("Kyocera", "KYOCERA", "Kyocera Mita"), ("M3145 dn", "M3145DN"), 1.5),
    Product("mfp", "Kyocera", "TASKalfa", "3253ci", (250_000, 420_000), "kyocera",
            ("Kyocera", "KYOCERA"), ("3253 ci", "3253CI"), 0.8),
    Product("mfp", "HP", "LaserJet Enterprise", "MFP M528dn", (95_000, 170_000), "hp_pc",
            _HPINC, ("M528dn", "MFP M528"), 0.8),
    # laptops
    Product("laptop", "Dell", "Latitude", "5430", (85_000, 130_000), "dell", _DELL, (), 4),
    Product("laptop", "Dell", "Latitude", "7430", (120_000, 190_000), "dell", _DELL, (), 4),
    Product("laptop", "Lenovo", "ThinkPad", "T14 Gen 3", (100_000, 160_000), "lenovo_pc",
            _LENOVO, ("T14 G3", "T14 Gen3", "T14 gen.3"), 4),
    Product("laptop", "Lenovo", "ThinkPad", "X1 Carbon Gen 11", (170_000, 260_000),
            "lenovo_pc", _LENOVO, ("X1 Carbon G11", "X1 Carbon Gen11", "X1C Gen 11"), 2),
    Product("laptop", "HP", "EliteBook", "840 G9", (110_000, 170_000), "hp_pc", _HPINC,
            ("840G9", "840 Gen 9"), 3),
    # desktops
    Product("desktop", "HP", "ProDesk", "400 G9 SFF", (55_000, 85_000), "hp_pc", _HPINC,
            ("400G9", "400 G9"), 3),
    Product("desktop", "Dell", "OptiPlex", "7010", (60_000, 95_000), "dell", _DELL,
            ("7010 SFF", "7010 MT"), 3),
    Product("desktop", "Dell", "OptiPlex", "5000", (57_000, 88_000), "dell", _DELL,
            ("5000 SFF",), 2),
    Product("desktop", "Lenovo", "ThinkCentre", "M70q Gen 3", (52_000, 80_000), "lenovo_pc",
            _LENOVO, ("M70q G3", "M70q"), 2),
    # vendors normalize.yaml does not list: known to a run only from IT's manufacturer column
    Product("server", "Kraftway", "Express", "KR-2U-K4", (600_000, 1_100_000), "dell",
            ("Kraftway", "KRAFTWAY"), ("KR2U K4",), 1),
    Product("desktop", "Depo", "Neos", "DF226", (48_000, 75_000), "lenovo_pc",
            ("Depo", "DEPO Computers"), ("DF 226",), 1.5),
    Product("switch", "Qtech", "QSW", "4610-28T", (120_000, 240_000), "cisco",
            ("Qtech", "QTECH"), ("4610 28T",), 1),
    Product("ups", "Powercom", "Vanguard", "VGD-3000", (70_000, 130_000), "apc",
            ("Powercom", "POWERCOM"), ("VGD3000",), 1),
    # low-value kit, normally expensed rather than capitalised
    Product("monitor", "Dell", "", "P2422H", (14_000, 22_000), "dell_monitor", _DELL,
            ("P2422 H",), 4),
    Product("monitor", "Dell", "", "P2723QE", (30_000, 38_500), "dell_monitor", _DELL,
            ("P2723 QE",), 2),
    Product("monitor", "HP", "", "E24 G5", (15_000, 23_000), "hp_pc", _HPINC, ("E24G5",), 2),
    Product("dock", "Dell", "", "WD19S", (18_000, 27_000), "dell", _DELL, ("WD19S 130W",), 2),
    Product("phone", "Cisco", "IP Phone", "8841", (22_000, 32_000), "cisco", _CISCO,
            ("CP-8841",), 2),
)  # fmt: skip

CAPITAL = tuple(p for p in PRODUCTS if not p.low_value)
LOW_VALUE = tuple(p for p in PRODUCTS if p.low_value)
KIT_CATEGORIES = ("server", "laptop", "desktop", "switch")
SITE_KIND_CATEGORIES = {
    "dc": ("server", "switch", "ups"),
    "office": ("laptop", "desktop", "mfp", "switch", "ups", "monitor", "dock", "phone"),
    "warehouse": ("laptop", "desktop", "monitor", "dock"),
}

# Russian words for the register's name column, and the plural for a kit line.
BOOK_WORD = {
    "server": ("Сервер", "Сервер"),
    "laptop": ("Ноутбук", "Ноутбук"),
    "desktop": ("Системный блок", "Компьютер"),
    "switch": ("Коммутатор", "Коммутатор"),
    "ups": ("ИБП", "Источник бесперебойного питания"),
    "mfp": ("МФУ", "МФУ"),
    "monitor": ("Монитор", "Монитор"),
    "dock": ("Док-станция", "Док-станция"),
    "phone": ("IP-телефон", "Телефон"),
}
KIT_WORD = {
    "server": "Комплект серверов",
    "laptop": "Комплект ноутбуков",
    "desktop": "Комплект системных блоков",
    "switch": "Комплект коммутаторов",
}
IT_CATEGORY = {
    "server": "Server",
    "laptop": "Laptop",
    "desktop": "Desktop",
    "switch": "Switch",
    "ups": "UPS",
    "mfp": "MFP",
    "monitor": "Monitor",
    "dock": "Docking station",
    "phone": "IP phone",
}
USEFUL_LIFE = {  # months, by category: the ОКОФ groups accountants pick from
    "server": (60, 61, 84),
    "switch": (60, 84),
    "ups": (60, 61),
    "mfp": (36, 37, 60),
    "laptop": (36, 37, 60),
    "desktop": (36, 37, 60),
    "monitor": (36, 37),
    "dock": (36,),
    "phone": (36, 60),
}

# --- serial numbers ----------------------------------------------------------------------

_UP = string.ascii_uppercase
_DIG = string.digits
_ALNUM = _UP + _DIG
_DELL_TAG = "".join(c for c in _ALNUM if c not in "AEIOU")  # service tags have no vowels


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


SERIAL_SCHEMES: dict[str, Callable[[random.Random], str]] = {
    "hpe": lambda r: r.choice(("CZJ", "CZ2", "MXQ", "SGH")) + _pick(r, _DIG, 4) + _pick(r, _UP, 3),
    "dell": lambda r: _pick(r, _DELL_TAG, 7),
    "lenovo_srv": lambda r: "J" + _pick(r, _ALNUM, 7),
    "lenovo_pc": lambda r: "PF" + _pick(r, _ALNUM, 6),
    "hp_pc": lambda r: r.choice(("5CG", "CZC", "4CE")) + _pick(r, _ALNUM, 7),
    "cisco": lambda r: "FOC" + _pick(r, _DIG, 4) + _pick(r, _ALNUM, 4),
    "apc": lambda r: "AS" + _pick(r, _DIG, 10),
    "kyocera": lambda r: "R" + _pick(r, _UP, 2) + _pick(r, _DIG, 7),
    "dell_monitor": lambda r: "CN0" + _pick(r, _ALNUM, 7),
}


class SerialMaker:
    """Unique serials across the whole company (a collision would be a false duplicate)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self, scheme: str) -> str:
        make = SERIAL_SCHEMES[scheme]
        while True:
            serial = make(self.rng)
            if serial not in self.used:
                self.used.add(serial)
                return serial


# --- sites -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    book: str  # as the register writes it (1C directory entry)
    it: str  # as the IT inventory writes it: same place, other case/punctuation
    code: str  # hostname prefix
    kind: str  # dc, office, warehouse
    net: int  # second octet of the site's addresses
    weight: float
    city: str = ""  # the branch it belongs to (company_sites): a planted move stays inside it


SITES: tuple[Site, ...] = (
    Site("Москва, ЦОД-1", "Москва ЦОД-1", "msk-dc1", "dc", 10, 3),
    Site("Москва, ЦОД-2", "МОСКВА, ЦОД-2", "msk-dc2", "dc", 11, 2),
    Site("Москва, офис, 5 этаж", "Москва, офис 5 этаж", "msk-of5", "office", 20, 4),
    Site("Москва, офис, 6 этаж", "Москва офис 6 этаж", "msk-of6", "office", 21, 3),
    Site("Санкт-Петербург, серверная", "Санкт-Петербург / серверная", "spb-sr", "dc", 30, 1.5),
    Site("Санкт-Петербург, офис, 3 этаж", "Санкт-Петербург, офис, 3 этаж", "spb-of3", "office", 31, 3),
    Site("Екатеринбург, офис", "ЕКАТЕРИНБУРГ ОФИС", "ekb-of", "office", 40, 2),
    Site("Новосибирск, офис", "Новосибирск, Офис", "nsk-of", "office", 50, 1.5),
    Site("Казань, склад", "Казань - склад", "kzn-wh", "warehouse", 60, 1),
)  # fmt: skip

# A company of six branches, each with its own accountants and inbox folder, two rooms apiece:
# the multi-department case (synth.departments). Planted moves stay inside a branch, so the
# branches' surpluses add up to the company's.
COMPANY_SITES: tuple[Site, ...] = (
    Site("Москва, ЦОД", "Москва ЦОД", "msk-dc", "dc", 10, 3, "Москва"),
    Site("Москва, офис", "МОСКВА, ОФИС", "msk-of", "office", 11, 4, "Москва"),
    Site("Санкт-Петербург, серверная", "Санкт-Петербург / серверная", "spb-sr", "dc", 30, 1.5, "Санкт-Петербург"),
    Site("Санкт-Петербург, офис", "Санкт-Петербург, офис", "spb-of", "office", 31, 3, "Санкт-Петербург"),
    Site("Екатеринбург, офис, 2 этаж", "ЕКАТЕРИНБУРГ ОФИС 2 ЭТАЖ", "ekb-of2", "office", 40, 2, "Екатеринбург"),
    Site("Екатеринбург, склад", "Екатеринбург - склад", "ekb-wh", "warehouse", 41, 1, "Екатеринбург"),
    Site("Подольск, склад", "Подольск - склад", "pdl-wh", "warehouse", 50, 1.5, "Подольск"),
    Site("Подольск, офис", "подольск, офис", "pdl-of", "office", 51, 1, "Подольск"),
    Site("Казань, склад", "Казань - склад", "kzn-wh", "warehouse", 60, 1, "Казань"),
    Site("Казань, офис", "Казань, Офис", "kzn-of", "office", 61, 1.5, "Казань"),
    Site("Новосибирск, офис", "Новосибирск, Офис", "nsk-of", "office", 70, 1.5, "Новосибирск"),
    Site("Новосибирск, серверная", "Новосибирск / серверная", "nsk-sr", "dc", 71, 1, "Новосибирск"),
)  # fmt: skip

ORGANISATION = "ООО «Северный ветер»"
REPORT_DATE = date(2026, 9, 30)  # "Ведомость основных средств на 30.09.2026"
ACCOUNT = "01.01"

# --- people ------------------------------------------------------------------------------

SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Федоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семенов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьев", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьев",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королев", "Гусев", "Киселев",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалев", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышев",
    "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов",
)  # fmt: skip
MALE_NAMES = (
    "Александр", "Алексей", "Андрей", "Антон", "Артем", "Борис", "Вадим", "Валерий", "Виктор",
    "Владимир", "Геннадий", "Георгий", "Денис", "Дмитрий", "Евгений", "Егор", "Игорь", "Илья",
    "Кирилл", "Константин", "Леонид", "Максим", "Михаил", "Никита", "Николай", "Олег", "Павел",
    "Роман", "Руслан", "Сергей", "Станислав", "Степан", "Тимур", "Федор", "Юрий", "Ярослав",
)  # fmt: skip
FEMALE_NAMES = (
    "Анна", "Алена", "Валентина", "Вера", "Галина", "Дарья", "Екатерина", "Елена", "Жанна",
    "Зоя", "Инна", "Ирина", "Кристина", "Лариса", "Людмила", "Марина", "Мария", "Наталья",
    "Нина", "Оксана", "Ольга", "Полина", "Светлана", "Софья", "Татьяна", "Юлия",
)  # fmt: skip
_FATHERS = (
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Борис", "Борисович", "Борисовна"),
    ("Виктор", "Викторович", "Викторовна"), ("Владимир", "Владимирович", "Владимировна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Игорь", "Игоревич", "Игоревна"),
    ("Константин", "Константинович", "Константиновна"), ("Леонид", "Леонидович", "Леонидовна"),
    ("Михаил", "Михайлович", "Михайловна"), ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Петр", "Петрович", "Петровна"), ("Сергей", "Сергеевич", "Сергеевна"),
    ("Юрий", "Юрьевич", "Юрьевна"), ("Федор", "Федорович", "Федоровна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"), ("Роман", "Романович", "Романовна"),
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    surname: str
    name: str
    patronymic: str

    @property
    def full(self) -> str:
        return f"{self.surname} {self.name} {self.patronymic}"

    @property
    def key(self) -> tuple[str, str, str]:
        """What survives normalisation: surname and two initials."""
        return (self.surname, self.name[0], self.patronymic[0])


class PeopleMaker:
    """People unique by surname and initials, so a format variant can never be someone else."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[tuple[str, str, str]] = set()

    def new(self) -> Person:
        r = self.rng
        for _ in range(1000):
            father = r.choice(_FATHERS)
            surname = r.choice(SURNAMES)
            if r.random() < 0.45:
                person = Person(_feminine(surname), r.choice(FEMALE_NAMES), father[2])
            else:
                person = Person(surname, r.choice(MALE_NAMES), father[1])
            if person.key not in self.used:
                self.used.add(person.key)
                return person
        raise ValueError("ran out of distinct people; the name tables are too small")


def _feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ин", "ын")):
        return surname + "а"
    if surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname
