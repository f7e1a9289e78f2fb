//! Each preset's mapping, from the sample responses in the provider's
//! documentation.

use super::*;
use serde_json::json;

fn map(strategy: Strategy, user: Value, emails: Option<Value>) -> (String, UpstreamProfile) {
    let preset = preset(strategy).unwrap();
    (preset.map)(&user, emails.as_ref()).unwrap()
}

#[test]
fn every_preset_has_https_production_endpoints() {
    for preset in PRESETS {
        for url in [
            preset.authorization_endpoint,
            preset.token_endpoint,
            preset.api_base_url,
        ] {
            assert!(url.starts_with("https://"), "{}: {url}", preset.strategy);
            url::Url::parse(url).unwrap();
        }
        assert!(super::super::is_redirect(preset.strategy));
    }
}

#[test]
fn facebook_graph_me() {
    let (id, profile) = map(
        Strategy::Facebook,
        json!({
            "id": "10224522522222", "name": "Jane Doe", "email": "jane@example.com",
            "first_name": "Jane", "last_name": "Doe",
            "picture": {"data": {"height": 50, "is_silhouette": false,
                "url": "https://platform-lookaside.fbsbx.com/pic.jpg", "width": 50}}
        }),
        None,
    );
    assert_eq!(id, "10224522522222");
    assert_eq!(profile.email.as_deref(), Some("jane@example.com"));
    assert!(
        !profile.email_verified,
        "Facebook documents no verification flag"
    );
    assert_eq!(profile.given_name.as_deref(), Some("Jane"));
    assert_eq!(profile.family_name.as_deref(), Some("Doe"));
    assert_eq!(
        profile.picture.as_deref(),
        Some("https://platform-lookaside.fbsbx.com/pic.jpg")
    );
}

#[test]
fn linkedin_userinfo() {
    let (id, profile) = map(
        Strategy::Linkedin,
        json!({
            "sub": "782bbtaQ", "name": "John Doe", "given_name": "John",
            "family_name": "Doe", "picture": "https://media.licdn-ei.com/dms/image/p.jpg",
            "locale": "en-US", "email": "doe@email.com", "email_verified": true
        }),
        None,
    );
    assert_eq!(id, "782bbtaQ");
    assert_eq!(profile.email.as_deref(), Some("doe@email.com"));
    assert!(profile.email_verified);
    assert_eq!(profile.name.as_deref(), Some("John Doe"));
}

#[test]
fn windowslive_graph_me() {
    let (id, profile) = map(
        Strategy::WindowsLive,
        json!({
            "id": "48d31887-5fad-4d73-a9f5-3c356e68a038", "displayName": "Megan Bowen",
            "givenName": "Megan", "surname": "Bowen", "jobTitle": "Auditor",
            "mail": null, "userPrincipalName": "MeganB@contoso.com"
        }),
        None,
    );
    assert_eq!(id, "48d31887-5fad-4d73-a9f5-3c356e68a038");
    assert_eq!(profile.email.as_deref(), Some("MeganB@contoso.com"));
    assert!(!profile.email_verified);
    assert_eq!(profile.name.as_deref(), Some("Megan Bowen"));
    assert_eq!(profile.family_name.as_deref(), Some("Bowen"));
}

#[test]
fn amazon_user_profile() {
    let (id, profile) = map(
        Strategy::Amazon,
        json!({
            "user_id": "amzn1.account.K2LI23KL2LK2", "email": "mhashimoto-04@plaxo.com",
            "name": "Mork Hashimoto", "postal_code": "98052"
        }),
        None,
    );
    assert_eq!(id, "amzn1.account.K2LI23KL2LK2");
    assert_eq!(profile.name.as_deref(), Some("Mork Hashimoto"));
    assert!(!profile.email_verified);
}

#[test]
fn bitbucket_user_and_confirmed_primary_email() {
    let user = json!({
        "uuid": "{d301aafa-d676-4ee0-88be-962be7417567}", "account_id": "557058:c0b7",
        "username": "evzijst", "nickname": "evzijst", "display_name": "Erik van Zijst",
        "links": {"avatar": {"href": "https://bitbucket.org/account/evzijst/avatar/32/"}}
    });
    let emails = json!({"values": [
        {"email": "old@example.com", "is_primary": false, "is_confirmed": true, "type": "email"},
        {"email": "erik@example.com", "is_primary": true, "is_confirmed": true, "type": "email"}
    ]});
    let (id, profile) = map(Strategy::Bitbucket, user.clone(), Some(emails));
    assert_eq!(id, "d301aafa-d676-4ee0-88be-962be7417567");
    assert_eq!(profile.email.as_deref(), Some("erik@example.com"));
    assert!(profile.email_verified);
    assert_eq!(profile.nickname.as_deref(), Some("evzijst"));
    let unconfirmed = json!({"values": [
        {"email": "erik@example.com", "is_primary": true, "is_confirmed": false}
    ]});
    let (_, profile) = map(Strategy::Bitbucket, user, Some(unconfirmed));
    assert_eq!(profile.email, None);
}

#[test]
fn gitlab_user() {
    let user = json!({
        "id": 1, "username": "john_smith", "name": "John Smith", "state": "active",
        "avatar_url": "http://localhost:3000/uploads/user/avatar/1/index.jpg",
        "email": "john@example.com", "confirmed_at": "2012-05-23T09:05:22Z"
    });
    let (id, profile) = map(Strategy::Gitlab, user.clone(), None);
    assert_eq!(id, "1");
    assert!(profile.email_verified);
    assert_eq!(profile.nickname.as_deref(), Some("john_smith"));
    let mut unconfirmed = user;
    unconfirmed["confirmed_at"] = Value::Null;
    assert!(!map(Strategy::Gitlab, unconfirmed, None).1.email_verified);
}

#[test]
fn discord_users_me() {
    let user = json!({
        "id": "80351110224678912", "username": "Nelly", "discriminator": "1337",
        "global_name": "Nelly N.", "avatar": "8342729096ea3675442027381ff50dfe",
        "verified": true, "email": "nelly@discord.com", "flags": 64
    });
    let (id, profile) = map(Strategy::Discord, user.clone(), None);
    assert_eq!(id, "80351110224678912");
    assert!(profile.email_verified);
    assert_eq!(profile.name.as_deref(), Some("Nelly N."));
    assert_eq!(
        profile.picture.as_deref(),
        Some(
            "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
        )
    );
    let mut unverified = user;
    unverified["verified"] = json!(false);
    unverified["avatar"] = json!("../../evil");
    let (_, profile) = map(Strategy::Discord, unverified, None);
    assert!(!profile.email_verified);
    assert_eq!(profile.picture, None);
}

#[test]
fn slack_userinfo_ids_carry_the_workspace() {
    let (id, profile) = map(
        Strategy::Slack,
        json!({
            "ok": true, "sub": "U0R7JM", "https://slack.com/user_id": "U0R7JM",
            "https://slack.com/team_id": "T0R7GR", "email": "krane@slack-corp.com",
            "email_verified": true, "date_email_verified": 1622128723, "name": "krane",
            "picture": "https://secure.gravatar.com/avatar/x.jpg", "given_name": "Bront",
            "family_name": "Labradoodle", "locale": "en-US"
        }),
        None,
    );
    assert_eq!(id, "T0R7GR-U0R7JM");
    assert!(profile.email_verified);
    assert_eq!(profile.given_name.as_deref(), Some("Bront"));
}

#[test]
fn twitter_users_me() {
    let (id, profile) = map(
        Strategy::Twitter,
        json!({"data": {"id": "2244994945", "name": "X Dev", "username": "TwitterDev",
            "profile_image_url": "https://pbs.twimg.com/profile_images/1/normal.jpg"}}),
        None,
    );
    assert_eq!(id, "2244994945");
    assert_eq!(profile.nickname.as_deref(), Some("TwitterDev"));
    assert_eq!(profile.email, None);
}

#[test]
fn a_user_without_an_id_is_refused() {
    for preset in PRESETS {
        assert!(
            (preset.map)(&json!({"name": "x"}), None).is_none(),
            "{}",
            preset.strategy
        );
    }
}

#[test]
fn overrides_replace_every_endpoint() {
    let upstreams = Arc::new(Upstreams::new(super::super::UpstreamsConfig::default()));
    let options = json!({
        "client_id": "id", "client_secret": "s",
        "authorization_endpoint": "https://gitlab.example.com/oauth/authorize",
        "token_endpoint": "https://gitlab.example.com/oauth/token",
        "api_base_url": "https://gitlab.example.com/api/v4/",
    });
    let connector =
        PresetConnector::new(preset(Strategy::Gitlab).unwrap(), &options, upstreams).unwrap();
    assert_eq!(
        connector.user_endpoint,
        "https://gitlab.example.com/api/v4/user"
    );
    assert_eq!(
        connector.token_endpoint,
        "https://gitlab.example.com/oauth/token"
    );
    assert_eq!(connector.scope, "read_user");
}
