process.env.TEST_STORE_ENGINE = 'sqlite';
