//! What pages say about a scan's outcome, in words a cashier understands, and small text
//! helpers.

use super::{tr, Lang};

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A signature of `text` for the session whose CSRF token is `csrf`: a page shows a message
/// from its own address only when it was signed for the session reading it.
pub fn signature(csrf: &str, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(csrf.as_bytes())
        .chain_update([0u8])
        .chain_update(text.as_bytes())
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The answer to a refused scan of `action`, by the refusal's code: what happened and what
/// to do.
pub fn refusal_of(lang: Lang, action: crate::domain::state::Action, code: &str) -> &'static str {
    use crate::domain::state::Action;
    match (action, code) {
        (Action::Return, _) | (_, "unknown_code" | "invalid_code" | "container_retired") => {
            refusal(lang, code)
        }
        (_, "invalid_transition" | "wrong_site") => tr!(
            lang,
            "Ce contenant n'est pas dans l'état qu'il faut pour cette action ici (déjà fait, ou ailleurs) : rien n'a été enregistré.",
            "This container is not in the state this action needs here (already done, or elsewhere): nothing was recorded."
        ),
        (_, "forbidden_container") => tr!(
            lang,
            "Ce contenant n'est ni chez vous, ni chez un de vos clients, ni en route depuis ou vers votre site : seule la coordination peut le déclarer cassé, perdu ou retiré. Rien n'a été enregistré.",
            "This container is neither at your site, nor with one of your customers, nor on its way from or to your site: only the coordinator can record it as broken, lost or retired. Nothing was recorded."
        ),
        (_, "not_on_shipment") => tr!(
            lang,
            "Ce contenant n'était pas dans cette livraison : mettez-le de côté et prévenez l'expéditeur.",
            "This container was not on this shipment: put it aside and tell the sender."
        ),
        (_, "not_in_batch") => tr!(
            lang,
            "Ce contenant n'est pas dans ce lot de lavage.",
            "This container is not in this wash batch."
        ),
        _ => refusal(lang, code),
    }
}

/// The answer to a refused return, by the refusal's code: what happened and what to do.
pub fn refusal(lang: Lang, code: &str) -> &'static str {
    match code {
        "unknown_code" => tr!(
            lang,
            "Code inconnu : ce contenant n'est pas de la boucle, ou le code est mal lu. Vérifiez l'étiquette.",
            "Unknown code: this container is not in the loop, or the code was misread. Check the label."
        ),
        "invalid_code" => tr!(
            lang,
            "Ce n'est pas un code de contenant : scannez le QR code ou tapez le code sous le QR (ex. ZW-7K3M-QD9A).",
            "This is not a container code: scan the QR code or type the code printed under it (e.g. ZW-7K3M-QD9A)."
        ),
        "container_retired" => tr!(
            lang,
            "Ce contenant a été retiré de la boucle (cassé ou perdu) : ne le reprenez pas en consigne.",
            "This container was retired from the loop (broken or lost): do not take it back."
        ),
        "invalid_transition" => tr!(
            lang,
            "Ce contenant n'est pas chez un client : il est déjà rendu, ou pas encore vendu. Rien n'a été enregistré.",
            "This container is not with a customer: it was already returned, or not sold yet. Nothing was recorded."
        ),
        "wrong_site_kind" | "forbidden_site" => tr!(
            lang,
            "Les retours s'enregistrent dans un magasin de la boucle, avec un compte de ce magasin.",
            "Returns are recorded at a shop of the loop, with that shop's account."
        ),
        "future_time" | "invalid_time" => tr!(
            lang,
            "L'heure de cet appareil est fausse : corrigez-la, puis scannez à nouveau.",
            "This device's clock is wrong: set it right, then scan again."
        ),
        _ => tr!(
            lang,
            "Ce retour n'a pas pu être enregistré ; mettez le contenant de côté et prévenez la coordination.",
            "This return could not be recorded; put the container aside and tell the coordinator."
        ),
    }
}

/// The answer to a scan that went through.
pub fn recorded(lang: Lang, duplicate: bool) -> &'static str {
    match duplicate {
        false => tr!(lang, "Retour enregistré", "Return recorded"),
        true => tr!(lang, "Déjà enregistré", "Already recorded"),
    }
}

/// Why a return could not be undone.
pub fn undo_refused(lang: Lang, code: &str) -> &'static str {
    match code {
        "not_undoable" => tr!(
            lang,
            "Impossible d'annuler : ce contenant a été scanné depuis. Prévenez la coordination.",
            "Cannot undo: this container was scanned since. Tell the coordinator."
        ),
        "forbidden_site" => tr!(
            lang,
            "Ce retour a été enregistré dans un autre magasin.",
            "This return was recorded at another shop."
        ),
        _ => tr!(lang, "Ce retour n'existe pas.", "There is no such return."),
    }
}
