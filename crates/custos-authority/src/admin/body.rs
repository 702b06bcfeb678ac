//! The optional JSON bodies of the admin API's actions: blank, `{}`, or an object holding the
//! one property the action takes. Anything else is refused with the admin API's errors.

use super::error::AdminError;
use serde_json::Value;

/// The value of `property` in an action's body: `None` when the body is blank or the property is
/// absent or `null`. `subject` names what the body describes ("an endpoint secret") in the error
/// for any other property.
pub(crate) fn single_property(
    body: &[u8],
    property: &str,
    subject: &str,
) -> Result<Option<Value>, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AdminError::Malformed(format!("The request body is not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(AdminError::Malformed("The request body must be a JSON object.".to_owned()));
    };
    if let Some(unknown) = object.keys().find(|k| k.as_str() != property) {
        return Err(AdminError::BadRequest(format!(
            "Property '{unknown}' does not exist on {subject}; only '{property}' does."
        )));
    }
    Ok(object.remove(property).filter(|v| !v.is_null()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_empty_and_null_bodies_have_no_value() {
        for body in [&b""[..], b" \n", b"{}", br#"{"days":null}"#] {
            assert_eq!(single_property(body, "days", "a thing"), Ok(None));
        }
        assert_eq!(single_property(br#"{"days":7}"#, "days", "a thing"), Ok(Some(json!(7))));
    }

    #[test]
    fn other_bodies_are_refused() {
        assert_eq!(
            single_property(br#"{"days":7,"x":1}"#, "days", "a thing"),
            Err(AdminError::BadRequest(
                "Property 'x' does not exist on a thing; only 'days' does.".to_owned()
            ))
        );
        assert_eq!(
            single_property(b"[]", "days", "a thing"),
            Err(AdminError::Malformed("The request body must be a JSON object.".to_owned()))
        );
        assert!(matches!(single_property(b"{", "days", "a thing"), Err(AdminError::Malformed(_))));
    }
}
