"""Word lists the synthetic catalog draws from (plausible for a publisher of books on Russia)."""


def _split(words: str) -> list[str]:
    return words.split()


ADJECTIVES = _split(
    """
Silent Frozen Golden Northern Distant Forgotten Crimson White Red Black Hidden Last First Long
Winter Summer Autumn Quiet Burning Broken Secret Lost Wandering Little Great Old New Bitter
Sweet Wild Lonely Patient Restless Stolen Borrowed Iron Silver Amber Birch Endless Empty Bright
Dark Narrow Open Strange Gentle Honest Faithful Curious Final Sleeping Waking Falling
"""
)

NOUNS = _split(
    """
Samovar Dacha Steppe River Bridge Station Letter Winter Harvest Orchard Icon Bell Troika Forest
Garden Window Train Prospect Embankment Monastery Cathedral Market Courtyard Kitchen Nightingale
Wolf Bear Fox Crow Swan Birch Lantern Mirror Violin Accordion Chessboard Manuscript Diary Map
Compass Harbor Island Lighthouse Frontier Village Estate Governor Commissar Poet Painter
Teacher Doctor Widow Daughter Brother Stranger Exile Pilgrim Soldier Spy Apprentice Inheritance
Promise Silence Memory Journey Homecoming Revolution Thaw Blizzard Flood Fire Storm Secret
"""
)

PLACES = _split(
    """
Moscow Petersburg Leningrad Novgorod Kazan Irkutsk Odessa Kiev Tver Yaroslavl Vologda Perm
Tomsk Omsk Samara Saratov Astrakhan Murmansk Arkhangelsk Vladivostok Khabarovsk Yakutsk Baikal
Volga Neva Don Kama Ural Siberia Crimea Karelia Altai Kamchatka Sakhalin Solovki Suzdal Vladimir
Rostov Smolensk Pskov Kaluga Tula Ryazan Kostroma Vyatka Orenburg Tobolsk Norilsk Magadan
"""
)

FIRST_NAMES = _split(
    """
Anna Maria Elena Olga Tatiana Natalia Irina Svetlana Ekaterina Ludmila Sofia Vera Nadezhda
Lyubov Daria Polina Ksenia Alexandra Marina Galina Ivan Alexei Dmitri Sergei Nikolai Mikhail
Andrei Pavel Yuri Boris Vladimir Pyotr Fyodor Konstantin Grigory Leonid Oleg Viktor Arkady
Maxim Roman Anton Ilya Kirill Gleb Lev Semyon Timofei Yakov John Mary Sarah James Emily David
Laura Michael Helen Robert Claire Thomas Ruth Peter Alice George
"""
)

LAST_NAMES = _split(
    """
Ivanov Petrova Smirnov Kuznetsova Popov Sokolova Lebedev Kozlova Novikov Morozova Volkov
Solovyova Vasiliev Zaitseva Pavlov Semenova Golubev Vinogradova Bogdanov Vorobyova Fedorov
Mikhailova Belyaev Tarasova Belov Komarova Orlov Kiseleva Makarov Andreeva Nikolaev Zakharova
Zaitsev Borisova Romanov Sorokina Gusev Titova Kovalev Baranova Ilyin Kulikova Gerasimov
Mironova Markov Nikitina Shcherbakov Dmitrieva Sidorov Frolova Bykov Maksimova Yakovlev
Baker Carter Ellis Fletcher Grant Hughes Lawson Mitchell Palmer Reed Shaw Turner Walsh Wright
"""
)

CYRILLIC_ADJECTIVES = _split(
    """
Тихий Белый Красный Старый Новый Последний Долгий Зимний Летний Золотой Дальний Северный
"""
)

CYRILLIC_NOUNS = _split(
    """
Дон Сад Мост Путь Дом Лес Город Берег Вокзал Самовар Снег Ветер Колокол Огонь Сон
"""
)

SUBJECTS = [
    "Fiction",
    "History",
    "Biography",
    "Poetry",
    "Language",
    "Travel",
    "Culture",
    "Mystery",
    "Classics",
    "Historical Fiction",
    "Nonfiction",
    "Satire",
    "Memoir",
    "Art",
    "Food and Drink",
    "Politics",
    "Religion",
    "Children",
]

SUBTITLES = [
    "A Novel",
    "Stories",
    "A Memoir",
    "A History of {place}",
    "Stories from {place}",
    "Letters from {place}",
    "A Journey through {place}",
    "Poems",
    "A Mystery",
    "An Illustrated Guide",
]

TITLES = [
    "The {adj} {noun}",
    "{noun} of {place}",
    "A {noun} in {place}",
    "The {noun} and the {noun2}",
    "{adj} {noun}",
    "The {place} {noun}",
    "{noun} at the {noun2}",
    "The Last {noun} of {place}",
]

SENTENCES = [
    "In {place}, a {noun_l} changes the life of {name}.",
    "{name} returns to {place} after many years and finds the {noun_l} gone.",
    "A {adj_l} story of love, exile and the {noun_l}, set between {place} and {place2}.",
    "Told in letters, it follows a family from {place} through war, thaw and the years after.",
    "The first translation into English of a classic of the {place} school.",
    "Part travelogue and part history, it crosses {place} from the {noun_l} to the sea.",
    "Written with humour and a sharp eye for the {adj_l} details of daily life.",
    "Includes maps, a glossary of Russian terms and notes on the translation.",
    "Winner of a prize for the best book about {place}.",
    "A {adj_l} portrait of {place} in the last years of the empire.",
]

SERIES = [
    "The {place} Quartet",
    "{place} Mysteries",
    "Tales of the {noun}",
    "The {adj} {noun} Cycle",
    "{place} Chronicles",
    "Library of {place} Classics",
]
