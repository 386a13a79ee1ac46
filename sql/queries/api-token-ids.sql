-- Every API token id ever minted (revoked ones included): answers "no such token" for many ids in one read. No parameters.
SELECT DISTINCT id FROM api_tokens
