"""How people ask versus how contracts say it: the offline answerer's question vocabulary.

Related terms (a question's word and the words a clause may use instead), colloquial phrases rewritten before a
question is read, and the words of a question that say nothing about its topic.
"""

from __future__ import annotations

import re

from shared.analysis.offline.similarity import lemma, wordlist

# How people ask versus how contracts say it. Lines starting "=" are equivalents: each word finds every other.
# Lines "word ...: related ..." are one-way: an everyday word finds the legal terms ("heard" finds "courts"), not
# the reverse (a question about courts is not answered by a clause that says "heard").
# Words are lemmatized like clause text, so one form of a word stands for all of them (terminate, termination).
_RELATED_TERMS = """
# the same thing in other words, or another form of the word the lemmatizer does not join
= terminate cancel cancellation rescind
= expire expiry
= confidential confidentiality nondisclosure secret secrecy
= jurisdiction venue forum court tribunal
= dispute controversy litigation lawsuit suit action
= govern construe
= solicit nonsolicit poach entice recruit hire
= employee staff personnel worker workforce
= indemnify indemnification indemnity harmless
= liability liable
= damage loss
= pay payment paid payable
= fee charge
= invoice bill billing
= salary wage remuneration compensation
= warranty warrant guarantee
= assign assignment
= notice notify notification
= destroy destruction delete erase
= license licence
= intellectual proprietary patent copyright trademark
= exclusion exclude exception
= injunction injunctive
= insurance insure insured
= renew renewal extend extension
= vacation holiday
= subcontract subcontractor outsource delegate
= sublet sublease
= rent rental
= adviser advisor counsel consultant
= breach violation violate
= invention improvement
= public publicly
= recipient receiving
= receive receipt
= discloser disclosing
= deliver delivery
= write writing written
= duration period
= suspend suspension
= repository repo
= subcontract subcontractor subcontracting
= own ownership owner owned
= publicity publicize publicly announce announcement
= uptime availability
= error bug defect
= refund refundable reimburse reimbursement
= arbitration arbitrate arbitrator arbitral
= sow statement-of-work
= price pricing
= minor child children
= reside resident residence
# defined terms and drafting words a question's plain word stands for
employee staff adviser advisor agent: representative
warranty: disclaimer disclaim
injunction: equitable relief
equitable: injunction relief
obliged bound bind: obligation oblige
liable: responsible
default: breach
breach: default
cap ceiling maximum: limit exceed cap
limit: cap
subpoena: compel order
due: payable pay
overdue late: due unpaid
accrue: bear
carry: maintain obtain
certify certification: confirm certificate
cost costs: expense
consider considered deem: deemed
negotiation negotiations talks: discussion
carve carveout: exception exclusion
mean meaning: definition define
own owner ownership: property title proprietary
period: term
last: survive continue remain duration period
early: earlier
materials documents: information property
space unit building: premises
stock: equity
# everyday words for legal acts: poaching staff is soliciting employees, a fight is a dispute
end ending: terminate expire
leave leaving: terminate end resign
fire fired dismiss dismissal: terminate
quit resign: resignation terminate
heard hear: court jurisdiction venue forum
sue sued suing: court claim liability suit action
fight argument disagreement conflict: dispute
deal: transaction
share reveal leak pass: disclose disclosure
report: notify notice
quickly promptly: prompt delay
oral orally verbal verbally: writing written
# how people say what contracts say (the phrases below are rewritten first)
promise promises promised: warrant warranty guarantee represent
glitch glitches buggy: error defect malfunction
down downtime outage outages online: uptime availability available uninterrupted interruption
lock block blocked freeze frozen: suspend access restrict disable
pull pulled withdraw drop dropped: remove discontinue change
strip reduce: remove reduce decrease
feature features: functionality feature
code: content software
push pushed upload uploads submit submitted: post content upload submit
stuff files file documents: content data material
farm outsource: subcontract delegate subprocessor
subcontract subcontractor: subprocessor
consultant contractor: provider
announce advertise advertising marketing: publicity publicize publicly logo
tell told inform: notify notice notification inform
fast soon: prompt promptly delay hour
old: age
kid kids: minor age
hook: liable responsible
misuse misuses abuse: unauthorized violation misuse
team colleagues: user employee
money: refund fee payment
partway prorate prorated: prorate unused remaining
automatically auto automatic: automatic automatically
site website: website service
break broke broken: breach violate
kick ban banned close closed: terminate suspend
increase raise hike: increase change price
parcel package shipment shipping: shipping delivery carrier
lost missing: loss lost damage
store shop: ecommerce sell merchant store
live lives living: reside resident country
scrape scrapes scraping crawl crawler bot bots: scraping automated
ai: artificial intelligence machine learning
train training: train model learning
rights: license grant right
retain: retain keep
backup backups: backup copy
sue suing: court claim liability suit action
leave quit: terminate
app apps: application
build develop: create develop build
warning warn warned: notice notify
test testing tested try: acceptance accept test
win wins prevail prevails: prevail control govern precedence
buy buys buyer acquire acquirer acquires: acquisition merger sale control
# everyday words for the topics of online terms and SaaS agreements
teen teens teenager teenagers child: minor age
password passwords login logins hacked compromised: security credential password account
take takedown: remove removal
delete deleted erase wipe: delete deletion remove
download downloads: export copy
charge charged charges billing bill: fee payment charge invoice
call phone telephone: phone support
plan plans tier: subscription plan account
gdpr privacy personal: data protection personal privacy
police subpoena subpoenas: law enforcement legal process compel disclose
plugin plugins theme themes extension extensions integration integrations: third-party service application
spam: unsolicited spam
language languages translated translation: translation language english
copyright copyrighted: copyright infringement
pirate pirated piracy infringe infringing: infringement copyright
trademark trademarks brand logo logos: trademark logo brand
owe owes owed owing: pay payable due responsible
help helps helping assist: assist assistance cooperate support
complain complains complaint complaints: notice claim report takedown
regulator regulators authority authorities: authority regulator supervisory government inquiry
foreign: international transfer government
inquiry inquiries question questions: inquiry request
ok okay approval permission: consent approval authorize authorization
deliver delivered delivers: deliverable delivery
"""

# Colloquial phrases rewritten before the words are read: "give back" means return, "end up" means nothing. A
# replacement may keep what the asker named ("\1": "hire subprocessors" is subprocessors, subcontracted).
QUESTION_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(r"\b" + phrase + r"\b"), replacement)
    for phrase, replacement in (
        (r"(?:give|hand|send|get)s?(?: (?:it|them|this|that|these|those|everything))? back", "return"),
        (r"(?:be|is|are|was|were|been|being|gets?|got) served", ""),
        (r"carved? out", "carveout"),
        (r"turns? out", ""),
        (r"deals? with", ""),
        (r"go(?:es)? ahead", "proceed"),
        (r"hire away|lure away|poach(?:es|ing)? away", "solicit"),
        (r"time off", "vacation"),
        (r"end(?:s|ed)? up", ""),
        (r"what happens", ""),
        (r"how (?:long|much|many|often|soon)", ""),
        (r"non[ -]?compete", "compete"),
        (r"non[ -]?solicit(?:ation)?", "solicit"),
        (r"non[ -]?disclosure", "nondisclosure"),
        # everyday phrases for what contracts name otherwise
        (r"lock(?:s|ed|ing)? (?:\w+ ){0,2}out", "suspend access"),
        (r"cut(?:s|ting)? (?:\w+ ){0,3}off", "suspend access"),
        (r"shut(?:s|ting)? (?:\w+ ){0,3}(?:off|down)", "suspend terminate"),
        (r"(?:kick|kicks|kicked|throw|throws|threw) (?:\w+ ){0,2}out", "terminate suspend"),
        (r"farm(?:s|ed|ing)? (?:\w+ ){0,3}out", "subcontract"),
        (r"(?:hand|hands|handed|pass|passes|passed) (?:\w+ ){0,3}off to", "subcontract delegate"),
        (r"some(?:one|body) else|another (?:company|firm|vendor)|other (?:companies|firms|vendors)", "third party"),
        (r"(?:data|security) breach(?:es)?|hack(?:ed|s|ing)?|(?:data )?leak(?:ed|s)?", "security incident breach"),
        (r"statements? of work", "sow"),
        (r"(?:the )?most (?:\w+ ){0,4}(?:pay|owe|be liable|compensate)", "maximum liability"),
        (r"(?:if )?(?:something|anything|things|it) (?:goes|go|went|going|gone) wrong", ""),
        (r"(?:which|what|whose) (?:\w+'?s? )?laws? (?:applies|apply|governs?|is used|controls?)", "governing law"),
        (r"money back", "refund"),
        (r"on the hook", "liable responsible"),
        (r"gives? up|giving up", "waive grant"),
        (r"always be (?:up|available|online|running)|up and running|stay up|be up", "uninterrupted available"),
        (r"(?:bug|error)[- ]free", "error"),
        (r"whenever (?:they|we|you|it|he|she) (?:likes?|wants?|chooses?|wish(?:es)?|please)", "any time"),
        (r"strip(?:s|ped|ping)? (?:\w+ ){0,2}out", "remove reduce"),
        (r"what can (?:we|i|you|the customer|customer) do", "remedy"),
        (r"by itself|on its own", "automatic"),
        (
            r"break(?:s|ing)? (?:the|their|our|your|any|these|those) (?:rules|terms|agreement|contract|policies)",
            "breach violate",
        ),
        (r"how old", "age minimum"),
        (r"(?:that )?(?:we|i) (?:hired|engaged|use|used|chose|picked) (?:them|the vendor|the provider|you|it)", ""),
        (r"(?:have|has|need|needs|must|required) to (?:tell|inform|let)", "notify"),
        (r"look(?:s|ing)? (?:inside|into|at|through)|see inside|peek (?:at|into)", "access view"),
        (r"how (?:fast|quickly)", "prompt"),
        (r"sign(?:s|ed|ing)? up", "register account"),
        (r"take(?:s|n)? down|taken? (?:it |them |my \w+ )?down", "remove"),
        (r"(?:get|take|move|export) (?:my|our) (?:data|content|files?|stuff) out", "export data"),
        (r"change (?:my|our|the) plan|switch plans?", "upgrade downgrade plan"),
        (
            r"(?:who|what company|which company|which entity) (?:am i|are we|is the customer) "
            r"(?:contracting|dealing) with",
            "entity contract",
        ),
        (r"(?:my|our|your|their|its|his|her) own\b", ""),
        (r"on top of", "using"),
        (r"hand(?:s|ed|ing)? over", "provide"),
        (r"hand(?:s|ed|ing)? (?:\w+ ){1,3}(?:to|over to)", "disclose provide"),
        (r"log(?:s|ged|ging)? ?(?:in|on)(?:to)?", "access login account"),
        (r"turn(?:s|ed|ing)? on|switch(?:es|ed|ing)? on", "enable"),
        (r"two[- ]factor|2fa|multi[- ]factor", "two-factor authentication"),
        (r"(?:asks?|asked|asking) (?:them|you|us|the vendor|the provider) (?:about|for)", "inquiry request"),
        (r"lock(?:s|ed|ing)? (?:our|my|the|their) (?:account|site|access)", "suspend account access"),
        (
            r"(?:move|moves|moved|send|sends|sent|store|stores|stored|keep|keeps|kept|transfer|transfers) (?:\w+ ){0,3}"
            r"(?:to|in|into) (?:another|other|a different|a foreign|foreign|different) (?:country|countries)",
            "transfer international",
        ),
        (r"(?:do not|dont|don't|doesn't|doesnt) (?:like|accept|want|approve)", "reject"),
        (r"(?:stop(?:s|ped)? paying|(?:do not|dont|don't|fail to|can't|cannot) pay)", "pay overdue"),
        (r"break(?:s|ing)? (?:my|our|the|your) (?:site|website|store|service|account|computer)", "damage harm"),
        (r"(?:goes|go|went|is|are|was|were) down", "uptime available"),
        (
            r"(?:hire|hires|hiring|engage|engages|use|uses|bring in|brings in) (sub-?contractors?|sub-?processors?|"
            r"contractors?|third part(?:y|ies)|other vendors?)",
            r"\1 subcontract",
        ),
        (r"without (?:asking|telling|checking with|consulting) (?:us|me|them|you|the customer)", "without consent"),
        (r"(?:stay|stays|remain|remains|be|is|are) in (?:effect|force)", "term duration"),
    )
)

# Words of a question that say nothing about its topic: question words, everyday verbs, the parties and the
# contract itself ("What does the agreement say ...", "Do we need to give ...", "Which law applies ...").
QUESTION_STOP = frozenset(
    wordlist(
        """what which who whom whose how why when where whether does do did done doing is are was were be been
    there any some anything something anyone someone contract contracts agreement agreements clause clauses
    provision provisions section sections say says said about regarding concerning apply applies applied
    party parties side sides us we our you your me i between under include includes included contain contains
    specify specifies specified state states stated provide provides provided describe describes tell list
    each every please find show much many long need needs needed give gives given get gets got go goes going
    gone happen happens happened make makes made take takes taken put puts let lets want wants know knows
    have has had having keep keeps kept hold holds come comes see bring brings brought thing things way
    kind type sort rule rules anything really actually exactly count counts matter matters able allowed
    vendor vendors supplier suppliers whenever ever like likes once too
    dont doesnt didnt wont cant isnt arent wasnt werent shouldnt wouldnt couldnt havent hasnt
    signing sign signed one ones other others another either without handle handles handled cover covers
    covered try tries seem seems become becomes ask asks call calls work works initial particular certain
    specific current original actual nda ndas mnda msa msas sow after before until since within"""
    )
)


def _related_terms(text: str) -> dict[str, tuple[str, ...]]:
    """Parse the table: an equivalent finds its group; a one-way word finds its targets and their groups."""
    lines = [ln for ln in text.strip().splitlines() if ln and not ln.startswith("#")]
    equivalents: dict[str, list[str]] = {}
    for line in (ln for ln in lines if ln.startswith("=")):
        group = [lemma(w) for w in line[1:].split()]
        for word in group:
            equivalents.setdefault(word, []).extend(group)
    related = {word: list(group) for word, group in equivalents.items()}
    for line in (ln for ln in lines if not ln.startswith("=")):
        left, right = line.split(":")
        targets = [t for w in right.split() for t in (lemma(w), *equivalents.get(lemma(w), ()))]
        for word in left.split():
            related.setdefault(lemma(word), []).extend(targets)
    return {w: tuple(t for t in dict.fromkeys(ts) if t != w) for w, ts in related.items()}


# lemma -> lemmas a clause may use instead (weighted below the asked word itself).
RELATED_TERMS: dict[str, tuple[str, ...]] = _related_terms(_RELATED_TERMS)
