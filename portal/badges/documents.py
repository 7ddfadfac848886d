"""The unsigned OpenBadgeCredential documents (Open Badges 3.0 on the W3C VC Data Model 2.0).

Plain data in, a dict out. Field by field, see the Open Badges 3.0 data model: the issuer is a Profile
identified by the portal's did:web; the subject names the earner by name and by a salted hash of the
e-mail address (never the address itself); each part is a ResultDescription on the achievement and a
"Yes" Result on the subject; the status entry points at the revocation list.
"""

import hashlib
from datetime import datetime

from flask import current_app

from portal.badges import links
from portal.badges.contexts import CREDENTIALS_V2, OPEN_BADGES_V3

YES, NOT_YET = "Yes", "Not yet"
EVERY_PART_RULE = "The credential is earned when a reviewer marks every part “Yes”."


def xsd_datetime(moment: datetime) -> str:
    """A naive UTC datetime as XML Schema dateTime, to the second."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def issuer_profile() -> dict:
    config = current_app.config
    profile = {"id": links.issuer_did(), "type": ["Profile"], "name": config["BADGE_ISSUER_NAME"]}
    profile["url"] = config.get("BADGE_ISSUER_URL") or config["PORTAL_URL"]
    if config.get("BADGE_ISSUER_EMAIL"):
        profile["email"] = config["BADGE_ISSUER_EMAIL"]
    return profile


def creator_profile(stack) -> dict:
    """The organization that wrote the stack (CoSN for Digital Equity), identified by its own web address."""
    profile_id = stack.issuer_url or links.stack_page_url(stack)
    profile = {"id": profile_id, "type": ["Profile"], "name": stack.issuer}
    if stack.issuer_url:
        profile["url"] = stack.issuer_url
    return profile


def email_hash(email: str, salt: str) -> str:
    """OB IdentityHash: 'sha256$' and the hex SHA-256 of the address (lower case) followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def identifiers(earner, salt: str) -> list[dict]:
    return [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": earner.name},
        {
            "type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
            "identityHash": email_hash(earner.email, salt), "salt": salt,
        },
    ]


def status_entry(index: int) -> dict:
    url = links.status_list_url()
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def part_ids(achievement_id: str, part) -> tuple[str, str, str]:
    """Ids of a part's ResultDescription and of its two levels: fragments of the achievement's page."""
    base = f"{achievement_id}#part-{part.key}"
    return base, f"{base}-not-yet", f"{base}-yes"


def result_description(achievement_id: str, number: int, part) -> dict:
    description_id, not_yet_id, yes_id = part_ids(achievement_id, part)
    return {
        "id": description_id,
        "type": ["ResultDescription"],
        "name": f"Part {number}: {part.title}",
        "resultType": "RubricCriterionLevel",
        # Ordered from low to high, as the Open Badges data model asks.
        "allowedValue": [NOT_YET, YES],
        "requiredValue": YES,
        "requiredLevel": yes_id,
        "rubricCriterionLevel": [
            {"id": not_yet_id, "type": ["RubricCriterionLevel"], "name": NOT_YET,
             "description": "The part does not yet meet its criterion."},
            {"id": yes_id, "type": ["RubricCriterionLevel"], "name": YES, "description": part.criterion},
        ],
    }


def part_result(achievement_id: str, part) -> dict:
    description_id, _, yes_id = part_ids(achievement_id, part)
    return {"type": ["Result"], "resultDescription": description_id, "value": YES, "achievedLevel": yes_id}


def criteria_narrative(parts) -> str:
    lines = [f"{number}. **{part.title}**: {part.criterion}" for number, part in enumerate(parts, start=1)]
    return "Each part is judged by its criterion:\n\n" + "\n".join(lines) + "\n\n" + EVERY_PART_RULE


def base_document(*, uuid: str, name: str, description: str, valid_from: datetime, subject: dict,
                  status_index: int) -> dict:
    return {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": f"urn:uuid:{uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "description": description,
        "issuer": issuer_profile(),
        "validFrom": xsd_datetime(valid_from),
        "awardedDate": xsd_datetime(valid_from),
        "credentialSubject": subject,
        "credentialStatus": status_entry(status_index),
    }


def credential_document(*, uuid: str, earner, credential, parts, valid_from: datetime, status_index: int,
                        salt: str) -> dict:
    """The credential for one earned micro-credential; parts are those of the version that was decided."""
    achievement_id = links.credential_page_url(credential)
    achievement = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": credential.title,
        "description": credential.summary,
        "criteria": {"narrative": criteria_narrative(parts)},
        "creator": creator_profile(credential.stack),
        "image": {"id": links.achievement_image_url(credential=credential), "type": "Image",
                  "caption": f"Badge of “{credential.title}”"},
        "resultDescription": [result_description(achievement_id, n, p) for n, p in enumerate(parts, start=1)],
    }
    subject = {
        "type": ["AchievementSubject"],
        "identifier": identifiers(earner, salt),
        "achievement": achievement,
        "result": [part_result(achievement_id, part) for part in parts],
    }
    return base_document(
        uuid=uuid, name=credential.title, description=credential.summary, valid_from=valid_from,
        subject=subject, status_index=status_index,
    )


def stack_document(*, uuid: str, earner, stack, credentials, valid_from: datetime, status_index: int,
                   salt: str) -> dict:
    """The certificate for holding every credential of a stack, naming each of them."""
    names = "\n".join(f"{number}. {c.title}" for number, c in enumerate(credentials, start=1))
    narrative = f"Earn all {len(credentials)} micro-credentials of the {stack.title} stack:\n\n{names}"
    achievement = {
        "id": links.stack_page_url(stack),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": stack.title,
        "description": stack.summary,
        "criteria": {"narrative": narrative},
        "creator": creator_profile(stack),
        "image": {"id": links.achievement_image_url(stack=stack), "type": "Image",
                  "caption": f"Badge of the “{stack.title}” stack"},
    }
    subject = {"type": ["AchievementSubject"], "identifier": identifiers(earner, salt), "achievement": achievement}
    return base_document(
        uuid=uuid, name=stack.title, description=stack.summary, valid_from=valid_from, subject=subject,
        status_index=status_index,
    )
