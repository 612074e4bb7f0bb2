process.env.TEST_STORE_ENGINE = 'postgres';
