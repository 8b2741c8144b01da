-- A department's handlers see the cases handed to their department.

-- +goose Up
ALTER TABLE staff_users
    ADD COLUMN department_id BIGINT NULL,
    ADD CONSTRAINT staff_users_department FOREIGN KEY (department_id) REFERENCES departments (id);

-- +goose Down
ALTER TABLE staff_users DROP FOREIGN KEY staff_users_department, DROP COLUMN department_id;
