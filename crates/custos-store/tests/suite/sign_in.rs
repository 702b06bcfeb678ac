//! Sessions, single-use authorization codes and rotating refresh-token families.

use super::*;
use custos_core::consent::Platform;
use custos_core::sign_in::{AuthorizeEndpoint, CodeGrant};
use custos_store::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshUse, SignInSession,
};
use std::sync::Arc;

const NOW: i64 = 1_900_000_000;

fn code_grant(world: &World, user: ObjectId) -> CodeGrant {
    CodeGrant {
        endpoint: AuthorizeEndpoint::V1,
        issued_on: "common".to_owned(),
        tenant_id: world.tenant_a.id,
        client_id: world.client_app.app_id,
        user_id: user,
        redirect_uri: Some("https://app.example/callback".to_owned()),
        platform: Platform::Web,
        scope: None,
        resource: Some("https://manage.office.com".to_owned()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        nonce: Some("n-0S6_WzA2Mj".to_owned()),
        auth_time: NOW - 5,
        amr: vec!["pwd".to_owned()],
        grant_id: Uuid::new_v4(),
    }
}

fn family(grant: &CodeGrant, deadline: Option<i64>) -> RefreshGrant {
    RefreshGrant {
        id: grant.grant_id,
        tenant_id: grant.tenant_id,
        user_id: grant.user_id,
        client_id: grant.client_id,
        platform: grant.platform,
        created: NOW,
        deadline,
    }
}

fn token(seed: u8, family: &RefreshGrant, issued_at: i64) -> RefreshToken {
    RefreshToken { token_hash: [seed; 32], grant_id: family.id, issued_at, expires: issued_at + 90 * 86_400 }
}

pub(crate) async fn sessions(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let session = SignInSession {
        id_hash: [1; 32],
        tenant_id: world.tenant_a.id,
        user_id: ObjectId::new_random(),
        authenticated_at: NOW,
        expires: NOW + 3600,
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(store.session(&[1; 32], NOW + 3599).await.unwrap(), Some(session.clone()));
    assert_eq!(store.session(&[1; 32], NOW + 3600).await.unwrap(), None, "expired");
    assert_eq!(store.session(&[2; 32], NOW).await.unwrap(), None);
    store.delete_session(&[1; 32]).await.unwrap();
    assert_eq!(store.session(&[1; 32], NOW).await.unwrap(), None);
    store.delete_session(&[1; 32]).await.unwrap();
    // Purging removes dead sessions only.
    store.create_session(&session).await.unwrap();
    store
        .create_session(&SignInSession { id_hash: [3; 32], expires: NOW + 10, ..session.clone() })
        .await
        .unwrap();
    assert_eq!(store.purge_sign_in_state(NOW + 100).await.unwrap(), 1);
    assert!(store.session(&[1; 32], NOW + 100).await.unwrap().is_some());
}

pub(crate) async fn codes_are_single_use(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let grant = code_grant(&world, ObjectId::new_random());
    let code = AuthorizationCode { code_hash: [7; 32], expires: NOW + 600, grant: grant.clone() };
    store.insert_authorization_code(&code).await.unwrap();
    assert_eq!(store.redeem_authorization_code(&[8; 32], NOW).await.unwrap(), CodeRedemption::Unknown);
    assert_eq!(
        store.redeem_authorization_code(&[7; 32], NOW + 1).await.unwrap(),
        CodeRedemption::Redeemed(grant.clone())
    );

    // The redemption starts the family; a replay of the code revokes it.
    let family = family(&grant, None);
    store.start_refresh_grant(&family, &token(1, &family, NOW + 1)).await.unwrap();
    assert_eq!(
        store.redeem_authorization_code(&[7; 32], NOW + 2).await.unwrap(),
        CodeRedemption::Replayed(grant)
    );
    let state = store.refresh_token(&[1; 32]).await.unwrap().unwrap();
    assert!(state.revoked);
    assert_eq!(
        store.rotate_refresh_token(&[1; 32], &token(2, &family, NOW + 3), NOW + 3).await.unwrap(),
        RefreshUse::Revoked
    );

    // An expired code is not redeemed.
    let late = AuthorizationCode {
        code_hash: [9; 32],
        expires: NOW + 600,
        grant: code_grant(&world, ObjectId::new_random()),
    };
    store.insert_authorization_code(&late).await.unwrap();
    assert_eq!(store.redeem_authorization_code(&[9; 32], NOW + 600).await.unwrap(), CodeRedemption::Expired);
}

pub(crate) async fn a_replay_before_the_family_starts_still_revokes_it(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let grant = code_grant(&world, ObjectId::new_random());
    store
        .insert_authorization_code(&AuthorizationCode {
            code_hash: [7; 32],
            expires: NOW + 600,
            grant: grant.clone(),
        })
        .await
        .unwrap();
    assert!(matches!(
        store.redeem_authorization_code(&[7; 32], NOW).await.unwrap(),
        CodeRedemption::Redeemed(_)
    ));
    assert!(matches!(
        store.redeem_authorization_code(&[7; 32], NOW).await.unwrap(),
        CodeRedemption::Replayed(_)
    ));
    let family = family(&grant, None);
    conflict(store.start_refresh_grant(&family, &token(1, &family, NOW)).await);
    assert_eq!(store.refresh_token(&[1; 32]).await.unwrap(), None);
}

pub(crate) async fn concurrent_redemptions_spend_a_code_once(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let grant = code_grant(&world, ObjectId::new_random());
    store
        .insert_authorization_code(&AuthorizationCode { code_hash: [7; 32], expires: NOW + 600, grant })
        .await
        .unwrap();
    let attempts = (0..8).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.redeem_authorization_code(&[7; 32], NOW).await.unwrap() })
    });
    let mut redeemed = 0;
    for attempt in attempts {
        if matches!(attempt.await.unwrap(), CodeRedemption::Redeemed(_)) {
            redeemed += 1;
        }
    }
    assert_eq!(redeemed, 1);
}

pub(crate) async fn refresh_tokens_rotate(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let grant = code_grant(&world, ObjectId::new_random());
    let family = family(&grant, None);
    store.start_refresh_grant(&family, &token(1, &family, NOW)).await.unwrap();
    conflict(store.start_refresh_grant(&family, &token(9, &family, NOW)).await);

    let state = store.refresh_token(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(state.grant, family);
    assert_eq!((state.issued_at, state.used, state.revoked), (NOW, false, false));
    assert_eq!(
        store.rotate_refresh_token(&[1; 32], &token(2, &family, NOW + 10), NOW + 10).await.unwrap(),
        RefreshUse::Rotated
    );
    assert!(store.refresh_token(&[1; 32]).await.unwrap().unwrap().used);
    assert_eq!(
        store.rotate_refresh_token(&[2; 32], &token(3, &family, NOW + 20), NOW + 20).await.unwrap(),
        RefreshUse::Rotated
    );
    assert_eq!(
        store.rotate_refresh_token(&[42; 32], &token(4, &family, NOW + 20), NOW + 20).await.unwrap(),
        RefreshUse::Unknown
    );

    // Presenting a spent token revokes the family: the live successor dies with it.
    assert_eq!(
        store.rotate_refresh_token(&[1; 32], &token(5, &family, NOW + 30), NOW + 30).await.unwrap(),
        RefreshUse::Reused
    );
    assert_eq!(
        store.rotate_refresh_token(&[3; 32], &token(6, &family, NOW + 40), NOW + 40).await.unwrap(),
        RefreshUse::Revoked
    );
    assert_eq!(store.refresh_token(&[5; 32]).await.unwrap(), None, "no successor of a reused token");
}

pub(crate) async fn refresh_tokens_expire(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    // Sliding window.
    let grant = code_grant(&world, ObjectId::new_random());
    let sliding = family(&grant, None);
    let first = token(1, &sliding, NOW);
    store.start_refresh_grant(&sliding, &first).await.unwrap();
    assert_eq!(
        store
            .rotate_refresh_token(&[1; 32], &token(2, &sliding, first.expires), first.expires)
            .await
            .unwrap(),
        RefreshUse::Expired
    );
    // Fixed deadline (single-page apps).
    let grant = code_grant(&world, ObjectId::new_random());
    let spa = family(&grant, Some(NOW + 86_400));
    store.start_refresh_grant(&spa, &token(3, &spa, NOW)).await.unwrap();
    assert_eq!(
        store.rotate_refresh_token(&[3; 32], &token(4, &spa, NOW + 86_400), NOW + 86_400).await.unwrap(),
        RefreshUse::Expired
    );
    // Dead tokens are purged.
    assert!(store.purge_sign_in_state(NOW + 91 * 86_400).await.unwrap() >= 2);
    assert_eq!(store.refresh_token(&[1; 32]).await.unwrap(), None);
}

pub(crate) async fn concurrent_refreshes_rotate_once(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let grant = code_grant(&world, ObjectId::new_random());
    let family = family(&grant, None);
    store.start_refresh_grant(&family, &token(1, &family, NOW)).await.unwrap();
    let attempts = (0..8u8).map(|seed| {
        let store = Arc::clone(&store);
        let successor = token(10 + seed, &family, NOW + 1);
        tokio::spawn(async move { store.rotate_refresh_token(&[1; 32], &successor, NOW + 1).await.unwrap() })
    });
    let mut rotated = 0;
    for attempt in attempts {
        if attempt.await.unwrap() == RefreshUse::Rotated {
            rotated += 1;
        }
    }
    assert_eq!(rotated, 1);
}

pub(crate) async fn revoking_a_user_s_families(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let user = ObjectId::new_random();
    let grant = code_grant(&world, user);
    let first = family(&grant, None);
    let mut other_client = code_grant(&world, user);
    other_client.client_id = world.resource_app.app_id;
    let second = family(&other_client, None);
    store.start_refresh_grant(&first, &token(1, &first, NOW)).await.unwrap();
    store.start_refresh_grant(&second, &token(2, &second, NOW)).await.unwrap();
    let tenant = world.tenant_a.id;
    assert_eq!(
        store.revoke_refresh_grants(tenant, user, Some(world.client_app.app_id), NOW).await.unwrap(),
        1
    );
    assert!(store.refresh_token(&[1; 32]).await.unwrap().unwrap().revoked);
    assert!(!store.refresh_token(&[2; 32]).await.unwrap().unwrap().revoked);
    assert_eq!(store.revoke_refresh_grants(world.tenant_b.id, user, None, NOW).await.unwrap(), 0);
    assert_eq!(store.revoke_refresh_grants(tenant, user, None, NOW).await.unwrap(), 1);
    assert!(store.refresh_token(&[2; 32]).await.unwrap().unwrap().revoked);
}
